/**
 * Validates a response body against a schema of the generated full document, for responses that do not pass through
 * Prism (Prism answers invalid requests itself, so error cases go straight to the gateway).
 */
import { expect } from 'vitest';
import { loadGeneratedDocument } from '../../src/contract/openapi.ts';
import { createAjv } from '../../src/shared/validation.ts';

const document = loadGeneratedDocument('openapi.full.json');
const ajv = createAjv();

export function conformsTo(schemaName: string, value: unknown): void {
  const validate = ajv.compile({ $ref: `#/components/schemas/${schemaName}`, components: document.components });
  const valid = validate(value);
  expect(valid, JSON.stringify(validate.errors)).toBe(true);
}

/** The response is the standard error envelope with this code and status, valid against the contract. */
export function expectError(res: { status: number; json: any; headers: Headers }, status: number, code: string): void {
  expect(res.status).toBe(status);
  conformsTo('ErrorEnvelope', res.json);
  expect(res.json.error.code).toBe(code);
  expect(res.json.meta.request_id).toBe(res.headers.get('x-request-id'));
}
