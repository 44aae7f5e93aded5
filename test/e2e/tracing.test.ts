/**
 * OpenTelemetry traces (issue 18.4, optional): with OTEL_EXPORTER_OTLP_ENDPOINT set, a REST call and an MCP call each
 * export a span named after the operation, with the Notion request as its child span, to a local OTLP/HTTP receiver.
 * Unset, tracing is off and no OpenTelemetry module is imported statically anywhere in src/.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tracingActive } from '../../src/shared/tracing.ts';
import { type Sandbox, startSandbox } from '../../tools/notion-sandbox/index.ts';
import { API_TOKEN, api, startGateway } from '../support/gateway.ts';
import { connectMcp } from '../support/mcp.ts';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: Array<{ key: string; value: { stringValue?: string; intValue?: number | string } }>;
}

const NOTION_TOKEN = 'secret_tracing_workspace';
let sandbox: Sandbox;
let receiver: Server;
let receiverUrl: string;
const spans: OtlpSpan[] = [];

beforeAll(async () => {
  sandbox = await startSandbox({ workspaces: [{ token: NOTION_TOKEN, name: 'Traces' }] });
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        const parsed = JSON.parse(body) as {
          resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }>;
        };
        for (const r of parsed.resourceSpans) for (const s of r.scopeSpans) spans.push(...s.spans);
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => receiver?.close(resolve));
  await sandbox?.close();
});

const attribute = (span: OtlpSpan, key: string) => {
  const value = span.attributes.find((a) => a.key === key)?.value;
  return value?.stringValue ?? (value?.intValue === undefined ? undefined : Number(value.intValue));
};

describe('OpenTelemetry traces', () => {
  it('exports an operation span with its Notion request as child, for REST and MCP', async () => {
    const gateway = await startGateway({
      NOTION_TOKEN,
      NOTION_BASE_URL: sandbox.url,
      OTEL_EXPORTER_OTLP_ENDPOINT: `${receiverUrl}/`,
    });
    let restId: string;
    let mcpId: string;
    try {
      expect(tracingActive()).toBe(true);
      const rest = await api(gateway.url)('POST', '/v1/notion/read', { method: 'GET', path: '/v1/users/me' });
      expect(rest.status).toBe(200);
      restId = rest.json.meta.request_id;
      const mcp = await connectMcp(gateway.url, 'streamable-http', API_TOKEN, { toolsets: 'core' });
      const answer = await mcp.callTool({ name: 'notion_read', arguments: { method: 'GET', path: '/v1/users/me' } });
      expect(answer.isError).toBeFalsy();
      mcpId = (answer._meta as { request_id: string }).request_id;
      await mcp.close();
    } finally {
      // Closing flushes the batch still buffered.
      await gateway.close();
    }
    expect(tracingActive()).toBe(false);

    for (const [requestId, transport] of [
      [restId, 'rest'],
      [mcpId, 'mcp'],
    ] as const) {
      const operation = spans.find((s) => attribute(s, 'gateway.request_id') === requestId);
      expect(operation, transport).toBeDefined();
      expect(operation!.name).toBe('notion_read');
      expect(attribute(operation!, 'gateway.transport')).toBe(transport);
      const notion = spans.filter((s) => s.parentSpanId === operation!.spanId);
      expect(notion.map((s) => s.name)).toEqual(['notion GET']);
      expect(notion[0]!.traceId).toBe(operation!.traceId);
      expect(attribute(notion[0]!, 'url.path')).toBe('/v1/users/me');
      expect(attribute(notion[0]!, 'http.response.status_code')).toBe(200);
    }
    // Spans carry no token.
    expect(JSON.stringify(spans)).not.toContain(NOTION_TOKEN);
    expect(JSON.stringify(spans)).not.toContain(API_TOKEN);
  });

  it('is off without the variable, and src/ imports OpenTelemetry only lazily', async () => {
    const gateway = await startGateway({ NOTION_TOKEN, NOTION_BASE_URL: sandbox.url });
    try {
      expect(tracingActive()).toBe(false);
      expect((await api(gateway.url)('POST', '/v1/notion/read', { method: 'GET', path: '/v1/users/me' })).status).toBe(
        200,
      );
    } finally {
      await gateway.close();
    }
    const files = (dir: string): string[] =>
      readdirSync(dir).flatMap((name) => {
        const path = join(dir, name);
        return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
      });
    const statics = files(join(import.meta.dirname, '../../src')).filter((f) =>
      /^import (?!type )[^;]*from '@opentelemetry\//m.test(readFileSync(f, 'utf8')),
    );
    expect(statics).toEqual([]);
  });
});
