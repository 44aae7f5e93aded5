/**
 * A real MCP client nobody here wrote: the MCP Inspector's CLI lists the tools and calls one, over Streamable HTTP and
 * over legacy SSE, with the operator's bearer token.
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
  const { stdout } = await run(
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
  return JSON.parse(stdout);
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
