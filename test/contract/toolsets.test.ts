/**
 * What each MCP toolset lists, and what it costs a client to list it: a tool moved, added or grown shows up here in
 * review (the role github-mcp-server's __toolsnaps__ play). The default toolsets stay far below the official Notion
 * server's 76,259-character tools/list.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TOOLSETS } from '../../src/contract/openapi.ts';
import { DEFAULT_TOOLSETS } from '../../src/mcp/server.ts';

interface Tool {
  name: string;
  _meta: { toolset: string };
}
const { tools } = JSON.parse(readFileSync(new URL('../../generated/mcp-tools.json', import.meta.url), 'utf8')) as {
  tools: Tool[];
};
/** tools/list as a client receives it: the JSON-RPC result without the internal _meta. */
const listing = (names: readonly string[]) =>
  JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    result: { tools: tools.filter((t) => names.includes(t._meta.toolset)).map(({ _meta, ...tool }) => tool) },
  }).length;

describe('toolsets', () => {
  it('group every tool, as snapshotted here', () => {
    const grouped = Object.fromEntries(
      TOOLSETS.map((set) => [set, tools.filter((t) => t._meta.toolset === set).map((t) => t.name)]),
    );
    expect(grouped).toEqual({
      core: ['connections_list', 'notion_read', 'notion_request', 'notion_search'],
      research: ['fetch', 'search'],
      rows: ['notion_bulk', 'notion_link', 'notion_query', 'notion_upsert'],
      databases: ['notion_data_source_get', 'notion_data_source_update', 'notion_database_create'],
      pages: [
        'notion_blocks_append',
        'notion_blocks_get',
        'notion_page_create',
        'notion_page_get',
        'notion_page_update',
      ],
      jobs: ['notion_job_cancel', 'notion_job_get', 'notion_job_list', 'notion_job_start'],
      admin: ['audit_list'],
    });
  });

  it('keep tools/list small: the default ≤ 9,500 characters, every toolset together ≤ 50,000', () => {
    const sizes = Object.fromEntries(TOOLSETS.map((set) => [set, listing([set])]));
    console.log(`tools/list characters: default ${listing(DEFAULT_TOOLSETS)}, all ${listing(TOOLSETS)}`, sizes);
    expect(listing(DEFAULT_TOOLSETS)).toBeLessThanOrEqual(9_500);
    expect(listing(TOOLSETS)).toBeLessThanOrEqual(50_000);
  });
});
