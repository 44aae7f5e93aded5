/**
 * REST/MCP parity: every operation flagged for MCP is reachable on both surfaces, both reach the same engine
 * operation with the same input, and both return the same result. A new MCP operation without a sample here fails.
 */
import { readFileSync } from 'node:fs';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGeneratedDocument, operationsOf } from '../../src/contract/openapi.ts';
import { type Sandbox, startSandbox } from '../../tools/notion-sandbox/index.ts';
import { type DemoWorkspace, seedDemoWorkspace } from '../../tools/notion-sandbox/seed.ts';
import { API_TOKEN, api, type RunningGateway, startGateway } from '../support/gateway.ts';
import { connectMcp } from '../support/mcp.ts';

interface ToolDefinition {
  name: string;
  _meta: { operationId: string; method: string; path: string };
}
const { tools } = JSON.parse(readFileSync(new URL('../../generated/mcp-tools.json', import.meta.url), 'utf8')) as {
  tools: ToolDefinition[];
};

/** One input per MCP operation: read-only or repeatable, so calling it twice gives the same answer. */
const samples: Record<string, () => Record<string, unknown>> = {
  connections_list: () => ({}),
  notion_search: () => ({ query: 'Parity', filter: { property: 'object', value: 'page' } }),
  notion_request: () => ({ method: 'GET', path: `/v1/pages/${pageId}` }),
  notion_read: () => ({ method: 'POST', path: '/v1/search', body: { query: 'Parity' } }),
  // GET: REST sends no body, so the sample is empty; the audit holds the write made in beforeAll.
  audit_list: () => ({}),
  search: () => ({ query: 'Parity' }),
  fetch: () => ({ id: pageId }),
  notion_query: () => ({ data_source_id: demo.tasks.dataSourceId, filter: { Done: true } }),
  // Rows that already hold these values: both calls answer `unchanged` with the same page.
  notion_upsert: () => ({
    data_source_id: demo.tasks.dataSourceId,
    unique: { property: 'Name', value: 'Design mockups' },
    properties: { Done: true },
  }),
  // Writes that are not naturally repeatable carry an idempotency_key: the MCP call replays the REST call's result.
  notion_database_create: () => ({
    parent_page_id: demo.rootPageId,
    title: 'Parity database',
    properties: { Name: { type: 'title' } },
    idempotency_key: 'parity-database',
  }),
  notion_data_source_get: () => ({ database_id: demo.tasks.databaseId }),
  notion_views_list: () => ({ data_source_id: demo.projects.dataSourceId }),
  notion_view_save: () => ({
    data_source_id: demo.tasks.dataSourceId,
    name: 'Parity view',
    filter: { Done: false },
    sorts: ['-Hours'],
    idempotency_key: 'parity-view',
  }),
  notion_data_source_update: () => ({
    data_source_id: demo.tasks.dataSourceId,
    title: 'Tasks',
    idempotency_key: 'parity-schema',
  }),
  notion_page_create: () => ({
    parent_page_id: demo.rootPageId,
    title: 'Parity sub-page',
    content_markdown: 'Hello',
    idempotency_key: 'parity-page',
  }),
  notion_page_get: () => ({ page_id: pageId, include_markdown: true }),
  notion_blocks_get: () => ({ block_id: demo.rootPageId, max_blocks: 50 }),
  notion_blocks_append: () => ({
    block_id: pageId,
    children: [{ paragraph: { rich_text: [{ text: { content: 'Parity block' } }] } }],
    idempotency_key: 'parity-blocks',
  }),
  notion_page_update: () => ({ page_id: pageId, append_markdown: 'More', idempotency_key: 'parity-update' }),
  notion_file_upload: () => ({
    data_base64: Buffer.from('parity').toString('base64'),
    filename: 'parity.txt',
    page_id: pageId,
    idempotency_key: 'parity-upload',
  }),
  notion_bulk: () => ({
    ops: [
      {
        op: 'upsert',
        args: { data_source_id: demo.tasks.dataSourceId, unique: { property: 'Name', value: 'Design mockups' } },
      },
    ],
    idempotency_key: 'parity-bulk',
  }),
  notion_job_start: () => ({
    kind: 'export',
    args: { database_id: demo.projects.databaseId },
    idempotency_key: 'parity-job',
  }),
  // GET with a path parameter: the sample is what both surfaces send, and the job is the one started above.
  notion_job_get: () => ({ job_id: jobId }),
  notion_job_list: () => ({}),
  notion_job_cancel: () => ({ job_id: jobId }),
  notion_link: () => ({
    from: { type: 'page', id: demo.tasks.pageIds[0] },
    to: { type: 'page', id: demo.projects.pageIds[0] },
    relation_property: 'Project',
  }),
  // A dry run: what undoing the page made in beforeAll would do, the same answer each time.
  notion_undo: () => ({ request_id: pageRequestId, dry_run: true }),
};

let sandbox: Sandbox;
let gateway: RunningGateway;
let mcp: Client;
let pageId = '';
let pageRequestId = '';
let demo: DemoWorkspace;
let jobId = '';
const invocations: Array<{ operationId: string; input: unknown; actor: string }> = [];

beforeAll(async () => {
  sandbox = await startSandbox({ workspaces: [{ token: 'secret_parity', name: 'Parity' }] });
  gateway = await startGateway({ NOTION_TOKEN: 'secret_parity', NOTION_BASE_URL: sandbox.url });
  demo = await seedDemoWorkspace(sandbox, 'secret_parity');
  const job = await api(gateway.url)('POST', '/v1/jobs', {
    kind: 'export',
    args: { database_id: demo.tasks.databaseId },
  });
  jobId = job.json.result.job_id;
  // Let it finish: a finished job reads the same on both surfaces.
  for (let i = 0; i < 100; i++) {
    const now = await api(gateway.url)('GET', `/v1/jobs/${jobId}`);
    if (now.json.result.status === 'succeeded') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  // Record what reaches the engine (the real engine still runs).
  const engine = gateway.gateway.engine;
  const invoke = engine.invoke.bind(engine);
  engine.invoke = (async (operationId: never, input: never, ctx: { actor: string }) => {
    invocations.push({ operationId, input: structuredClone(input), actor: ctx.actor });
    return invoke(operationId, input, ctx as never);
  }) as typeof engine.invoke;
  mcp = await connectMcp(gateway.url, 'streamable-http', API_TOKEN, { toolsets: 'all' });
  const page = await api(gateway.url)('POST', '/v1/notion/request', {
    method: 'POST',
    path: '/v1/pages',
    body: {
      parent: { type: 'workspace', workspace: true },
      properties: { title: { title: [{ text: { content: 'Parity page' } }] } },
    },
  });
  pageId = page.json.result.response.id;
  pageRequestId = page.json.meta.request_id;
});

afterAll(async () => {
  await mcp?.close();
  await gateway?.close();
  await sandbox?.close();
});

describe('every MCP tool is an operation of the full REST document', () => {
  const restOperations = new Map(
    operationsOf(loadGeneratedDocument('openapi.full.json')).map((o) => [o.op.operationId, o]),
  );
  it.each(tools.map((t) => [t.name, t] as const))('%s', (_name, tool) => {
    const rest = restOperations.get(tool._meta.operationId);
    expect(rest).toBeDefined();
    expect(rest!.method.toUpperCase()).toBe(tool._meta.method);
    expect(rest!.path).toBe(tool._meta.path);
  });
});

describe('REST and MCP reach the same engine operation with the same result', () => {
  it.each(tools.map((t) => [t.name, t] as const))('%s', async (_name, tool) => {
    const sample = samples[tool._meta.operationId];
    expect(sample, `add a parity sample for ${tool._meta.operationId}`).toBeDefined();
    const input = sample!();
    invocations.length = 0;

    const { method, path } = tool._meta;
    // Path parameters go into the URL; the rest of the input is the JSON body (GET: none).
    const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
    const url = path.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(String(input[name])));
    const body = Object.fromEntries(Object.entries(input).filter(([k]) => !params.includes(k)));
    const rest = await api(gateway.url)(method, url, method === 'GET' || params.length > 0 ? undefined : body);
    expect(rest.status).toBe(200);
    const viaMcp = await mcp.callTool({ name: tool.name, arguments: input });
    expect(viaMcp.isError).toBeFalsy();

    expect(viaMcp.structuredContent).toEqual(rest.json.result);
    // Operations made of operations (bulk, jobs) invoke others too: only the tool's own invocations are compared.
    const own = invocations.filter((i) => i.operationId === tool._meta.operationId);
    expect(own.map((i) => i.actor)).toEqual(['chatgpt_action', 'chatgpt_mcp']);
    expect(own[1]!.input).toEqual(own[0]!.input);
  });
});
