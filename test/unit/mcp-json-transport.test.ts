// The gateway's stateless JSON transport must answer every HTTP exchange as the SDK's own Streamable HTTP transport
// does in the same mode (stateless, JSON responses). Both serve the same kind of server on one HTTP server; each
// request below goes to both and the answers (status, content type, body) must be equal.
import { createServer, type Server as HttpServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StatelessJsonTransport } from '../../src/mcp/json-transport.ts';

function echoServer(): Server {
  const server = new Server({ name: 'echo', version: '1.0.0' }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: [{ name: 'echo', inputSchema: { type: 'object', properties: { say: { type: 'string' } } } }],
  }));
  server.setRequestHandler(CallToolRequestSchema, async (request) => {
    if (request.params.name === 'slow') await new Promise((r) => setTimeout(r, 20));
    return {
      content: [{ type: 'text', text: JSON.stringify(request.params.arguments ?? {}) }],
      structuredContent: request.params.arguments ?? {},
    };
  });
  return server;
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? undefined : JSON.parse(text);
}

let http: HttpServer;
let base: string;
const ours = { server: echoServer(), transport: new StatelessJsonTransport() };

beforeAll(async () => {
  await ours.server.connect(ours.transport);
  http = createServer(async (req, res) => {
    const body = await readBody(req);
    if (req.url === '/sdk') {
      // As the SDK documents stateless use: a new server and transport per request.
      const server = echoServer();
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      res.on('close', () => void transport.close());
      await server.connect(transport);
      await transport.handleRequest(req, res, body);
      return;
    }
    const answer = await ours.transport.exchange(req.headers, body);
    if (answer.body === undefined) {
      res.writeHead(answer.status).end();
    } else {
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
    }
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await ours.transport.close();
  await new Promise((r) => http.close(r));
});

const BOTH = 'application/json, text/event-stream';
const initialize = {
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
};
const call = (id: number | string, args: unknown = { say: 'hi' }, name = 'echo') => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name, arguments: args },
});

async function answerOf(path: string, body: unknown, headers: Record<string, string>) {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    body: text === '' ? undefined : (JSON.parse(text) as unknown),
  };
}

const cases: Array<[string, unknown, Record<string, string>]> = [
  ['initialize', initialize, { accept: BOTH }],
  ['tools/list', { jsonrpc: '2.0', id: 1, method: 'tools/list' }, { accept: BOTH }],
  ['tools/call', call(2), { accept: BOTH, 'mcp-protocol-version': '2025-06-18' }],
  ['tools/call with a string id', call('abc'), { accept: BOTH, 'mcp-protocol-version': '2025-11-25' }],
  ['ping', { jsonrpc: '2.0', id: 3, method: 'ping' }, { accept: BOTH }],
  ['an unknown method', { jsonrpc: '2.0', id: 4, method: 'resources/list' }, { accept: BOTH }],
  ['a notification', { jsonrpc: '2.0', method: 'notifications/initialized' }, { accept: BOTH }],
  ['a response from the client', { jsonrpc: '2.0', id: 9, result: {} }, { accept: BOTH }],
  ['a batch of two requests', [call(5), { jsonrpc: '2.0', id: 6, method: 'ping' }], { accept: BOTH }],
  ['a batch answered out of order', [call(7, {}, 'slow'), call(8)], { accept: BOTH }],
  ['a batch of one request', [call(10)], { accept: BOTH }],
  [
    'a batch of a notification and a request',
    [{ jsonrpc: '2.0', method: 'notifications/initialized' }, call(11)],
    { accept: BOTH },
  ],
  ['initialize inside a batch', [initialize, call(12)], { accept: BOTH }],
  ['a batch over the limit', Array.from({ length: 101 }, (_, i) => call(100 + i)), { accept: BOTH }],
  ['a message that is not JSON-RPC', { hello: 'world' }, { accept: BOTH }],
  ['a batch with one message that is not JSON-RPC', [call(13), { id: 1 }], { accept: BOTH }],
  ['no Accept', call(14), {}],
  ['Accept without text/event-stream', call(15), { accept: 'application/json' }],
  ['Accept without application/json', call(16), { accept: 'text/event-stream' }],
  ['an unsupported protocol version', call(17), { accept: BOTH, 'mcp-protocol-version': '1999-01-01' }],
  ['initialize with an unsupported protocol version header', initialize, { accept: BOTH, 'mcp-protocol-version': 'x' }],
];

describe('StatelessJsonTransport answers as the SDK Streamable HTTP transport (stateless, JSON)', () => {
  it.each(cases)('%s', async (_name, body, headers) => {
    const sdk = await answerOf('/sdk', body, headers);
    const gateway = await answerOf('/ours', body, headers);
    expect(gateway).toEqual(sdk);
    // Not vacuous: every case gets an answer the SDK defines.
    expect(sdk.status).toBeGreaterThanOrEqual(200);
  });

  it('carries exchanges one after another on one connected server', async () => {
    for (let i = 0; i < 5; i++) {
      const answer = await answerOf('/ours', call(i, { say: `n${i}` }), { accept: BOTH });
      expect(answer.body).toMatchObject({ id: i, result: { structuredContent: { say: `n${i}` } } });
    }
  });
});
