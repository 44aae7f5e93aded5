/**
 * NUL and control characters in every string field of every operation, REST (generated/openapi.full.json: path,
 * query and body fields at any depth) and MCP (generated/mcp-tools.json input schemas). Each request is otherwise
 * valid: built from the schema's required fields, with one string replaced. PostgreSQL text cannot hold U+0000 and
 * an unpaired surrogate has no UTF-8 form, so those must answer 400 `validation_failed` naming the field; other
 * control characters may be accepted or refused, but no answer may be a 5xx (issue 20, point 1).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGeneratedDocument, operationsOf } from '../../src/contract/openapi.ts';
import { type Sandbox, startSandbox } from '../../tools/notion-sandbox/index.ts';
import { API_TOKEN, type RunningGateway, startGateway } from '../support/gateway.ts';
import { connectMcp } from '../support/mcp.ts';
import { rawRequest } from '../support/raw-http.ts';

type Schema = Record<string, any>;
const document = loadGeneratedDocument('openapi.full.json') as Schema;
const { tools } = JSON.parse(readFileSync(join(import.meta.dirname, '../../generated/mcp-tools.json'), 'utf8')) as {
  tools: Array<{ name: string; inputSchema: Schema; _meta: { toolset: string } }>;
};

/** Values PostgreSQL text cannot store: must be refused as validation_failed. */
const UNSTORABLE = ['\u0000', 'a\u0000b', 'x\ud800'];
/** Storable but hostile: accepted or refused, never a 5xx. */
const CONTROL = ['\u0001\u001f\u007f', 'a\r\nb', '\u001b[31m', '\u2028\u2029', '\ufeff'];
const UUID = '00000000-0000-4000-8000-000000000000';

function resolver(root: Schema) {
  return (schema: Schema | undefined): Schema => {
    let s = schema ?? {};
    while (s.$ref)
      s = s.$ref
        .split('/')
        .slice(1)
        .reduce((o: Schema, k: string) => o[k], root);
    return s;
  };
}

/** The first branch of a union, merged with its own keywords (enough to build a value the schema accepts). */
function flatten(resolve: (s: Schema | undefined) => Schema, schema: Schema | undefined): Schema {
  const s = resolve(schema);
  const branch = s.oneOf?.[0] ?? s.anyOf?.find((b: Schema) => resolve(b).type !== 'null') ?? s.anyOf?.[0];
  const merged: Schema = { ...s, oneOf: undefined, anyOf: undefined };
  for (const part of [...(s.allOf ?? []), ...(branch ? [branch] : [])]) {
    const p = flatten(resolve, part);
    Object.assign(merged, p, {
      properties: { ...merged.properties, ...p.properties },
      required: [...(merged.required ?? []), ...(p.required ?? [])],
    });
  }
  return merged;
}

function typeOf(s: Schema): string | undefined {
  return [s.type].flat().find((t) => t && t !== 'null');
}

/** A minimal value the schema accepts: required properties only. */
function sample(resolve: (s: Schema | undefined) => Schema, schema: Schema | undefined, depth = 0): unknown {
  const s = flatten(resolve, schema);
  if (s.const !== undefined) return s.const;
  if (s.enum) return s.enum[0];
  if (s.default !== undefined) return s.default;
  switch (typeOf(s) ?? (s.properties ? 'object' : undefined)) {
    case 'string':
      if (s.format === 'uuid' || /uuid|_id$/.test(s.pattern ?? '')) return UUID;
      if (s.format === 'uri' || s.format === 'url') return 'https://example.com/x';
      if (s.format === 'date-time') return '2026-01-01T00:00:00Z';
      if (s.format === 'date') return '2026-01-01';
      return 'x'.repeat(Math.max(1, s.minLength ?? 1));
    case 'integer':
    case 'number':
      return s.minimum ?? 1;
    case 'boolean':
      return true;
    case 'array':
      return s.minItems && depth < 6 ? [sample(resolve, s.items, depth + 1)] : [];
    case 'object': {
      const out: Record<string, unknown> = {};
      if (depth < 6) for (const name of s.required ?? []) out[name] = sample(resolve, s.properties?.[name], depth + 1);
      return out;
    }
    default:
      return 'x';
  }
}

/** JSON pointers (as key lists) of every string field reachable through properties and items. */
function stringFields(resolve: (s: Schema | undefined) => Schema, schema: Schema | undefined): string[][] {
  const out: string[][] = [];
  const seen = new Set<Schema>();
  const walk = (node: Schema | undefined, at: string[]) => {
    const s = flatten(resolve, node);
    if (at.length > 5 || seen.has(resolve(node))) return;
    seen.add(resolve(node));
    if (typeOf(s) === 'string' && !s.enum && s.const === undefined) out.push(at);
    for (const [name, prop] of Object.entries<Schema>(s.properties ?? {})) walk(prop, [...at, name]);
    if (s.items) walk(s.items, [...at, '0']);
    seen.delete(resolve(node));
  };
  walk(schema, []);
  return out;
}

function withValue(base: unknown, at: string[], value: string): unknown {
  if (at.length === 0) return value;
  const [head, ...rest] = at as [string, ...string[]];
  if (head === '0') return [withValue(Array.isArray(base) ? base[0] : undefined, rest, value)];
  const obj = base && typeof base === 'object' && !Array.isArray(base) ? (base as Record<string, unknown>) : {};
  return { ...obj, [head]: withValue(obj[head], rest, value) };
}

let sandbox: Sandbox;
let gateway: RunningGateway;
let mcp: Client;
const figures = { rest: 0, mcp: 0 };

beforeAll(async () => {
  sandbox = await startSandbox({
    workspaces: [{ token: 'secret_text_chars_1', name: 'Text' }],
    oauth: { clientId: 'text-client', clientSecret: 'text-client-secret' },
  });
  gateway = await startGateway({
    NOTION_TOKEN: 'secret_text_chars_1',
    NOTION_BASE_URL: sandbox.url,
    NOTION_MAX_RETRIES: '0',
    NOTION_OAUTH_CLIENT_ID: 'text-client',
    NOTION_OAUTH_CLIENT_SECRET: 'text-client-secret',
    NOTION_OAUTH_REDIRECT_URI: 'http://localhost/oauth/callback',
  });
  const toolsets = [...new Set(tools.map((t) => t._meta.toolset))].join(',');
  mcp = await connectMcp(gateway.url, 'streamable-http', API_TOKEN, { toolsets });
});
afterAll(async () => {
  console.log(`NUL/control-character requests: ${figures.rest} REST, ${figures.mcp} MCP`);
  await mcp?.close();
  await gateway?.close();
  await sandbox?.close();
});

const restResolve = resolver(document);
const operations = operationsOf(document as never).map(({ method, path, op }) => ({ method, path, op: op as Schema }));

describe('REST: every string field of every operation', () => {
  it.each(operations.map((o) => [`${o.method.toUpperCase()} ${o.path}`, o] as const))(
    '%s',
    async (_name, { method, path, op }) => {
      const params = (op.parameters ?? []).map(restResolve) as Schema[];
      const bodySchema = restResolve(op.requestBody).content?.['application/json']?.schema as Schema | undefined;
      const baseBody = bodySchema ? sample(restResolve, bodySchema) : undefined;
      const pathValues = Object.fromEntries(
        params.filter((p) => p.in === 'path').map((p) => [p.name, String(sample(restResolve, p.schema))]),
      );
      const baseQuery = Object.fromEntries(
        params
          .filter((p) => p.in === 'query' && p.required)
          .map((p) => [p.name, String(sample(restResolve, p.schema))]),
      );
      const send = async (
        where: 'path' | 'query' | 'body',
        pointer: string,
        value: string,
        pathV: Record<string, string>,
        query: Record<string, string>,
        body: unknown,
      ) => {
        figures.rest++;
        const target = path.replace(/\{([^}]+)\}/g, (_m, n: string) => encodeURIComponent(pathV[n] ?? UUID));
        const qs = new URLSearchParams(query).toString();
        const res = await rawRequest(gateway.url, {
          method: method.toUpperCase(),
          path: qs ? `${target}?${qs}` : target,
          headers: { authorization: `Bearer ${API_TOKEN}` },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
        const what = `${method.toUpperCase()} ${path} ${where} ${pointer}=${JSON.stringify(value)} → ${res.status} ${res.text.slice(0, 200)}`;
        expect(res.status, what).toBeLessThan(500);
        if (UNSTORABLE.includes(value)) {
          expect(res.status, what).toBe(400);
          expect(res.json?.error?.code, what).toBe('validation_failed');
        }
      };
      for (const value of [...UNSTORABLE, ...CONTROL]) {
        // A URL cannot carry an unpaired surrogate (percent-encoding turns it into U+FFFD): body fields only.
        const inUrl = value.isWellFormed();
        for (const p of params.filter((x) => inUrl && (x.in === 'path' || x.in === 'query'))) {
          if (typeOf(flatten(restResolve, p.schema)) !== 'string' && !restResolve(p.schema).items) continue;
          if (p.in === 'path')
            await send('path', p.name, value, { ...pathValues, [p.name]: value }, baseQuery, baseBody);
          else await send('query', p.name, value, pathValues, { ...baseQuery, [p.name]: value }, baseBody);
        }
        for (const at of bodySchema ? stringFields(restResolve, bodySchema) : []) {
          await send('body', `/${at.join('/')}`, value, pathValues, baseQuery, withValue(baseBody, at, value));
        }
      }
    },
  );
});

describe('MCP: every string field of every tool', () => {
  it.each(tools.map((t) => [t.name, t] as const))('%s', async (name, tool) => {
    const resolve = resolver(tool.inputSchema);
    const base = sample(resolve, tool.inputSchema) as Record<string, unknown>;
    for (const value of [...UNSTORABLE, ...CONTROL]) {
      for (const at of stringFields(resolve, tool.inputSchema)) {
        figures.mcp++;
        const args = withValue(base, at, value) as Record<string, unknown>;
        const result = (await mcp.callTool({ name, arguments: args })) as {
          isError?: boolean;
          content: Array<{ type: string; text?: string }>;
        };
        const text = result.content.find((c) => c.type === 'text')?.text ?? '';
        const what = `${name} /${at.join('/')}=${JSON.stringify(value)} → ${text.slice(0, 200)}`;
        const error = result.isError ? JSON.parse(text).error : undefined;
        expect(error?.code, what).not.toBe('internal_error');
        if (UNSTORABLE.includes(value)) expect(error?.code, what).toBe('validation_failed');
      }
    }
  });
});
