/**
 * The rules ChatGPT Actions impose on an imported OpenAPI document, checked on generated/openapi.actions.json.
 */
import { describe, expect, it } from 'vitest';
import { loadGeneratedDocument, type OpenApiDocument, operationsOf, type Schema } from '../../src/contract/openapi.ts';

const doc = loadGeneratedDocument('openapi.actions.json');
const full = loadGeneratedDocument('openapi.full.json');
const operations = operationsOf(doc);

function allSchemas(node: unknown, out: Schema[] = []): Schema[] {
  if (Array.isArray(node)) for (const item of node) allSchemas(item, out);
  else if (node && typeof node === 'object') {
    out.push(node as Schema);
    for (const value of Object.values(node)) allSchemas(value, out);
  }
  return out;
}

/** Every schema node reachable from the request bodies of `document`, following $refs into components. */
function requestBodySchemas(document: OpenApiDocument): Schema[] {
  const seen = new Set<Schema>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) for (const item of node) walk(item);
    else if (node && typeof node === 'object' && !seen.has(node as Schema)) {
      const schema = node as Schema;
      seen.add(schema);
      if (typeof schema.$ref === 'string') walk(document.components.schemas[schema.$ref.split('/').pop()!]);
      for (const value of Object.values(schema)) walk(value);
    }
  };
  for (const { op } of operationsOf(document)) walk(op.requestBody?.content['application/json']?.schema);
  return [...seen];
}

const COMBINATORS = ['oneOf', 'anyOf', 'allOf'];
const combinatorsIn = (document: OpenApiDocument) =>
  requestBodySchemas(document).filter((schema) => COMBINATORS.some((k) => k in schema));

describe('generated/openapi.actions.json follows the ChatGPT Actions rules', () => {
  it('is OpenAPI 3.1 with a placeholder https server (replaced at serve time)', () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.servers?.[0]?.url).toMatch(/^https:\/\//);
  });

  it('has between 1 and 12 operations, each with a stable, valid operationId', () => {
    expect(operations.length).toBeGreaterThan(0);
    expect(operations.length).toBeLessThanOrEqual(12);
    const ids = operations.map(({ op }) => op.operationId);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('keeps summaries and descriptions within 300 characters, parameter descriptions within 700', () => {
    for (const { op } of operations) {
      expect((op.summary ?? '').length, op.operationId).toBeLessThanOrEqual(300);
      expect((op.description ?? '').length, op.operationId).toBeLessThanOrEqual(300);
      for (const p of op.parameters ?? []) expect(String(p.description ?? '').length).toBeLessThanOrEqual(700);
    }
    expect(String(doc.info.description ?? '').length).toBeLessThanOrEqual(300);
  });

  it('uses no $ref parameters and needs no custom header', () => {
    for (const { op } of operations) {
      for (const p of op.parameters ?? []) {
        expect(p.$ref, op.operationId).toBeUndefined();
        expect(p.in, `${op.operationId} ${p.name}`).not.toBe('header');
      }
    }
    // connection_id travels in every body, and idempotency_key in every write's body.
    const withBody = operations.filter(({ op }) => op.requestBody);
    expect(withBody.length).toBeGreaterThan(0);
    for (const { op } of withBody) {
      const ref = op.requestBody!.content['application/json']!.schema.$ref as string;
      const fields = Object.keys(doc.components.schemas[ref.split('/').pop()!]!.properties as object);
      expect(fields, op.operationId).toContain('connection_id');
      if (op['x-openai-isConsequential']) expect(fields, op.operationId).toContain('idempotency_key');
    }
  });

  it('gives every object schema a properties member', () => {
    for (const schema of allSchemas(doc)) {
      const type = schema.type;
      if (type === 'object' || (Array.isArray(type) && type.includes('object')))
        expect(schema).toHaveProperty('properties');
    }
  });

  it('has no oneOf/anyOf/allOf in request bodies', () => {
    expect(combinatorsIn(doc)).toEqual([]);
    // The check itself finds a combinator nested behind a $ref, in an untyped schema.
    const planted = structuredClone(doc);
    const body = planted.components.schemas.NotionRequestInput!.properties as Record<string, Schema>;
    body.query = { anyOf: [{ type: 'string' }, { type: 'number' }] };
    expect(combinatorsIn(planted)).toHaveLength(1);
  });

  it('marks every operation x-openai-isConsequential: false on reads, true on writes', () => {
    for (const { method, op } of operations) {
      expect(typeof op['x-openai-isConsequential'], op.operationId).toBe('boolean');
      const readOnly = method === 'get' || op['x-mcp']?.annotations.readOnlyHint === true;
      expect(op['x-openai-isConsequential'], op.operationId).toBe(!readOnly);
    }
  });

  it('lets Notion objects that vary carry additional properties', () => {
    const notionRequest = doc.components.schemas.NotionRequestInput!;
    expect((notionRequest.properties as Record<string, Schema>).body!.additionalProperties).toBe(true);
    const result = doc.components.schemas.NotionRequestResult!;
    expect((result.properties as Record<string, Schema>).response!.additionalProperties).toBe(true);
  });

  it('uses no keyword the Actions importer or openapi-backend mishandles', () => {
    expect(JSON.stringify(doc)).not.toContain('unevaluatedProperties');
  });

  it('is smaller than 1 MB pretty-printed', () => {
    expect(JSON.stringify(doc, null, 2).length).toBeLessThan(1_000_000);
  });

  it('re-uses each operation exactly as the full document declares it', () => {
    const fullOps = new Map(operationsOf(full).map((o) => [o.op.operationId, o]));
    for (const { method, path, op } of operations) {
      expect(fullOps.get(op.operationId)).toEqual({ method, path, op });
    }
  });
});
