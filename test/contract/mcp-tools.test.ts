/**
 * generated/mcp-tools.json: one tool per x-mcp operation, self-contained schemas, explicit annotations.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadGeneratedDocument, operationsOf } from '../../src/contract/openapi.ts';
import { createAjv } from '../../src/shared/validation.ts';

const raw = readFileSync(new URL('../../generated/mcp-tools.json', import.meta.url), 'utf8');
const { tools } = JSON.parse(raw) as { tools: Array<Record<string, any>> };
const flagged = operationsOf(loadGeneratedDocument('openapi.full.json')).filter(({ op }) => op['x-mcp']);

describe('generated/mcp-tools.json', () => {
  it('has one tool per operation flagged x-mcp, with valid unique names', () => {
    expect(tools.map((t) => t.name).sort()).toEqual(flagged.map(({ op }) => op['x-mcp']!.tool).sort());
    for (const tool of tools) expect(tool.name).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
  });

  it('inlines every schema: no $ref, no $defs copied per tool', () => {
    expect(raw).not.toContain('$ref');
    expect(raw).not.toContain('$defs');
  });

  it('sets all four annotations explicitly, consistent with the operation', () => {
    for (const tool of tools) {
      const { annotations } = tool;
      for (const hint of ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint']) {
        expect(typeof annotations[hint], `${tool.name}.${hint}`).toBe('boolean');
      }
      if (annotations.readOnlyHint) expect(annotations.destructiveHint).toBe(false);
      expect(annotations.title).toBe(tool.title);
    }
  });

  it('gives every tool an object inputSchema and outputSchema that compile as JSON Schema 2020-12', () => {
    const ajv = createAjv();
    for (const tool of tools) {
      expect(tool.inputSchema.type).toBe('object');
      expect(tool.outputSchema.type).toBe('object');
      expect(() => ajv.compile(tool.inputSchema)).not.toThrow();
      expect(() => ajv.compile(tool.outputSchema)).not.toThrow();
      expect(tool.description.length).toBeGreaterThan(20);
    }
  });
});
