/**
 * The usual end-to-end setup: the Notion sandbox seeded with its demo workspace (Projects ⇄ Tasks), a gateway
 * connected to it, a REST caller and, when toolsets are named, an MCP client.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { type Sandbox, startSandbox } from '../../tools/notion-sandbox/index.ts';
import { type DemoWorkspace, seedDemoWorkspace } from '../../tools/notion-sandbox/seed.ts';
import { API_TOKEN, api, type RunningGateway, startGateway } from './gateway.ts';
import { connectMcp } from './mcp.ts';

export interface Stack {
  sandbox: Sandbox;
  demo: DemoWorkspace;
  gateway: RunningGateway;
  call: ReturnType<typeof api>;
  /** Connected with `toolsets` (Streamable HTTP); null when none were asked for. */
  mcp: Client | null;
  close(): Promise<void>;
}

export async function startStack(options: { toolsets?: string; env?: Record<string, string> } = {}): Promise<Stack> {
  const sandbox = await startSandbox();
  const demo = await seedDemoWorkspace(sandbox, sandbox.token);
  const gateway = await startGateway({ NOTION_TOKEN: sandbox.token, NOTION_BASE_URL: sandbox.url, ...options.env });
  const mcp = options.toolsets
    ? await connectMcp(gateway.url, 'streamable-http', API_TOKEN, { toolsets: options.toolsets })
    : null;
  return {
    sandbox,
    demo,
    gateway,
    call: api(gateway.url),
    mcp,
    async close() {
      await mcp?.close();
      await gateway.close();
      await sandbox.close();
    },
  };
}

/** A fresh demo workspace for the next test: content wiped, faults and latency off, request log cleared. */
export async function reseed(sandbox: Sandbox): Promise<DemoWorkspace> {
  sandbox.reset();
  sandbox.clearFaults();
  sandbox.setLatency(0);
  const demo = await seedDemoWorkspace(sandbox, sandbox.token);
  sandbox.clearRequestLog();
  return demo;
}
