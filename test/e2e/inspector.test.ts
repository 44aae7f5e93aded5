/**
 * A real MCP client nobody here wrote: the MCP Inspector's CLI lists the tools and calls one, over Streamable HTTP and
 * over legacy SSE, with the operator's bearer token; and its schema-portability check (`--strict`) finds nothing to
 * report in any tool of the default view or of every toolset together.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../tools/notion-sandbox/index.ts';
import { API_TOKEN, type RunningGateway, startGateway } from '../support/gateway.ts';

const run = promisify(execFile);
const inspector = join(
  import.meta.dirname,
  '../../node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js',
);

let sandbox: Sandbox;
let gateway: RunningGateway;

beforeAll(async () => {
  sandbox = await startSandbox();
  gateway = await startGateway({ NOTION_TOKEN: sandbox.token, NOTION_BASE_URL: sandbox.url });
});

afterAll(async () => {
  await gateway?.close();
  await sandbox?.close();
});

async function cli(endpoint: string, transport: 'http' | 'sse', ...args: string[]): Promise<any> {
  return JSON.parse((await cliRun(endpoint, transport, ...args)).stdout);
}

async function cliRun(endpoint: string, transport: 'http' | 'sse', ...args: string[]) {
  return await run(
    process.execPath,
    [
      inspector,
      '--cli',
      `${gateway.url}${endpoint}`,
      '--transport',
      transport,
      ...args,
      '--header',
      `Authorization: Bearer ${API_TOKEN}`,
    ],
    { timeout: 60_000 },
  );
}

describe.each([
  ['/mcp', 'http'],
  ['/sse', 'sse'],
] as const)('MCP Inspector CLI on %s', (endpoint, transport) => {
  it('lists the tools and calls notion_read', { timeout: 90_000 }, async () => {
    const listed = await cli(endpoint, transport, '--method', 'tools/list');
    expect(listed.tools.map((t: { name: string }) => t.name)).toEqual(
      expect.arrayContaining(['notion_read', 'notion_request', 'search', 'fetch']),
    );
    const called = await cli(
      endpoint,
      transport,
      '--method',
      'tools/call',
      '--tool-name',
      'notion_read',
      '--tool-arg',
      'method=GET',
      '--tool-arg',
      'path=/v1/users/me',
    );
    expect(called.isError).toBeFalsy();
    expect(called.structuredContent.response).toMatchObject({ object: 'user', type: 'bot' });
  });
});

describe.each([
  ['the default view', '/mcp'],
  ['every toolset', '/mcp?toolsets=all'],
])('MCP Inspector --strict schema portability over %s', (_view, endpoint) => {
  it('reports no finding for any tool', { timeout: 90_000 }, async () => {
    const { stdout, stderr } = await cliRun(endpoint, 'http', '--method', 'tools/list', '--strict', '--format', 'json');
    const envelope = JSON.parse(stdout);
    expect(envelope.result.tools.length).toBeGreaterThanOrEqual(endpoint.includes('all') ? 23 : 12);
    // The CLI adds `schemaFindings` (type arrays, untyped schemas, remote $refs, boolean schemas) when it finds any.
    expect(envelope.schemaFindings ?? []).toEqual([]);
    expect(stderr).not.toMatch(/Warning|Error: tool|Schema portability/);
  });
});
