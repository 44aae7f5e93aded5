/**
 * Schema-violating requests for every operation of generated/openapi.full.json: bodies built from each operation's
 * own schema (missing required fields, each property with a value of the wrong type, unknown fields where they are
 * closed, non-object bodies) plus fast-check bodies, query strings and path parameters. Every answer must be a 4xx
 * error envelope; none may be a 5xx.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGeneratedDocument, operationsOf } from '../../src/contract/openapi.ts';
import { type Sandbox, startSandbox } from '../../tools/notion-sandbox/index.ts';
import { API_TOKEN, type RunningGateway, startGateway } from '../support/gateway.ts';
import { rawRequest } from '../support/raw-http.ts';

type Schema = Record<string, any>;
const document = loadGeneratedDocument('openapi.full.json') as Schema;
const resolve = (schema: Schema | undefined): Schema => {
  let s = schema ?? {};
  while (s.$ref)
    s = s.$ref
      .split('/')
      .slice(1)
      .reduce((o: Schema, k: string) => o[k], document);
  return s;
};

let sandbox: Sandbox;
let gateway: RunningGateway;
let cases = 0;

beforeAll(async () => {
  sandbox = await startSandbox({
    workspaces: [{ token: 'secret_schema_fuzz_1', name: 'Schema' }],
    oauth: { clientId: 'schema-client', clientSecret: 'schema-client-secret' },
  });
  gateway = await startGateway({
    NOTION_TOKEN: 'secret_schema_fuzz_1',
    NOTION_BASE_URL: sandbox.url,
    NOTION_OAUTH_CLIENT_ID: 'schema-client',
    NOTION_OAUTH_CLIENT_SECRET: 'schema-client-secret',
    NOTION_OAUTH_REDIRECT_URI: 'http://localhost/oauth/callback',
  });
});
afterAll(async () => {
  console.log(`schema-violating requests: ${cases} generated`);
  await gateway?.close();
  await sandbox?.close();
});

/** A value of another JSON type than the schema allows. */
function wrongTypeValues(schema: Schema): unknown[] {
  const s = resolve(schema);
  const types = new Set<string>([s.type].flat().filter(Boolean));
  if (s.enum || s.const !== undefined) return ['not-one-of-the-values-%%', 12345.5];
  if (types.size === 0) return [];
  // Keyed by the value's own JSON type. Scalars that coercion would turn into the right type are not violations.
  const candidates: Array<[string, unknown]> = [
    ['object', { nested: { x: 1 } }],
    ['array', [{ a: 1 }, 2]],
    ['string', 'twelve'],
  ];
  const out: unknown[] = candidates.filter(([type]) => !types.has(type)).map(([, v]) => v);
  return out;
}

function violatingBodies(schema: Schema): unknown[] {
  const s = resolve(schema);
  const bodies: unknown[] = [[], 'a string', 42, null, true, [{}]];
  const props = s.properties ?? {};
  const required: string[] = s.required ?? [];
  const skeleton: Record<string, unknown> = {};
  for (const name of required) skeleton[name] = resolve(props[name]).type === 'string' ? 'x' : {};
  for (const name of required) {
    const { [name]: _, ...missing } = skeleton;
    bodies.push(missing);
  }
  for (const [name, prop] of Object.entries(props)) {
    for (const value of wrongTypeValues(prop as Schema)) bodies.push({ ...skeleton, [name]: value });
  }
  if (s.additionalProperties === false || s.unevaluatedProperties === false) {
    bodies.push({ ...skeleton, unexpected_field_xyz: 1 });
  }
  return bodies;
}

const operations = operationsOf(document as never).map(({ method, path, op }) => ({ method, path, op: op as Schema }));
const withPath = (path: string, value: string) => path.replace(/\{[^}]+\}/g, value);
const send = (method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}) => {
  cases++;
  return rawRequest(gateway.url, {
    method: method.toUpperCase(),
    path,
    headers: { authorization: `Bearer ${API_TOKEN}`, ...headers },
    ...(body !== undefined ? { body } : {}),
  });
};

function expect4xxEnvelope(res: { status: number; json: any; text: string }, what: string) {
  expect(res.status, `${what}: ${res.text.slice(0, 200)}`).toBeGreaterThanOrEqual(400);
  expect(res.status, `${what}: ${res.text.slice(0, 200)}`).toBeLessThan(500);
  expect(res.json?.ok, what).toBe(false);
  expect(typeof res.json?.error?.code, what).toBe('string');
  expect(res.text).not.toMatch(/at .+\.ts:\d+/); // no stack trace
}

describe('schema-violating requests answer 4xx envelopes on every operation', () => {
  const withBody = operations.filter(({ op }) => op.requestBody);
  it.each(withBody.map((o) => [`${o.method.toUpperCase()} ${o.path}`, o] as const))(
    '%s',
    async (_name, { method, path, op }) => {
      const schema = resolve(op.requestBody).content?.['application/json']?.schema as Schema;
      const target = withPath(path, '00000000-0000-4000-8000-000000000000');
      for (const body of violatingBodies(schema)) {
        expect4xxEnvelope(
          await send(method, target, JSON.stringify(body)),
          `${method} ${path} ${JSON.stringify(body).slice(0, 80)}`,
        );
      }
      // Not JSON, not UTF-8, too deep, wrong media type.
      expect4xxEnvelope(await send(method, target, '{"a":'), 'truncated JSON');
      expect4xxEnvelope(
        await send(method, target, Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])),
        'invalid UTF-8',
      );
      expect4xxEnvelope(await send(method, target, `${'['.repeat(3000)}${']'.repeat(3000)}`), 'deep');
      expect4xxEnvelope(
        await send(method, target, 'a=1', { 'content-type': 'application/x-www-form-urlencoded' }),
        'form',
      );
      // fast-check: random JSON bodies, keys drawn from the schema's own properties and beyond. Never a 5xx.
      const keys = Object.keys(resolve(schema).properties ?? {});
      await fc.assert(
        fc.asyncProperty(
          fc.dictionary(
            fc.oneof(fc.constantFrom(...keys, '__proto__', 'constructor'), fc.string({ maxLength: 8 })),
            fc.jsonValue({ maxDepth: 3 }),
            { maxKeys: 5 },
          ),
          async (body) => {
            const res = await send(method, target, JSON.stringify(body));
            expect(
              res.status,
              `${method} ${path} ${JSON.stringify(body).slice(0, 200)} → ${res.text.slice(0, 200)}`,
            ).toBeLessThan(500);
            if (res.status >= 400) expect(res.json?.ok).toBe(false);
          },
        ),
        { numRuns: 150, seed: 8_3000 + keys.length },
      );
    },
  );

  it.each(operations.map((o) => [`${o.method.toUpperCase()} ${o.path}`, o] as const))(
    '%s: hostile path parameters and query strings',
    async (_name, { method, path, op }) => {
      const bodyFor = op.requestBody ? '{}' : undefined;
      const hasParams = /\{[^}]+\}/.test(path);
      const targets = hasParams
        ? ['%ff', '%', 'not-a-uuid', '..%2F..%2Fetc', '%00', 'a'.repeat(2000)].map((v) => withPath(path, v))
        : [path];
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...targets),
          fc.array(
            fc.tuple(
              fc.string({ maxLength: 10 }),
              fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('%', '%ff', '%E0%A4%A', '-1', '1e999', 'true')),
            ),
            { maxLength: 3 },
          ),
          async (target, pairs) => {
            const query = pairs.map(([k, v]) => `${encodeURIComponent(k)}=${v.replace(/[#\s]/g, '')}`).join('&');
            const res = await send(method, query ? `${target}?${query}` : target, bodyFor);
            expect(res.status, `${method} ${target}?${query} → ${res.text.slice(0, 200)}`).toBeLessThan(500);
          },
        ),
        { numRuns: 60, seed: 8_4000 },
      );
    },
  );
});
