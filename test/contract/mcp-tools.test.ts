/**
 * generated/mcp-tools.json: one tool per x-mcp operation, self-contained schemas, annotations that say what differs from MCP's defaults. Its listed
 * input schemas are lean; generated/mcp-validation.json holds the full ones the server validates against.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadGeneratedDocument, operationsOf } from '../../src/contract/openapi.ts';
import { createAjv } from '../../src/shared/validation.ts';

const raw = readFileSync(new URL('../../generated/mcp-tools.json', import.meta.url), 'utf8');
const { tools } = JSON.parse(raw) as { tools: Array<Record<string, any>> };
const validation = JSON.parse(readFileSync(new URL('../../generated/mcp-validation.json', import.meta.url), 'utf8'))
  .inputs as Record<string, Record<string, any>>;
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

  it("lists the annotations that differ from MCP defaults; read with those defaults, they are the operation's", () => {
    // MCP: readOnlyHint false, destructiveHint true, idempotentHint false, openWorldHint true when absent; the last
    // three mean nothing on a read-only tool.
    const DEFAULTS = { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true };
    const byTool = new Map(flagged.map(({ op }) => [op['x-mcp']!.tool, op['x-mcp']!.annotations]));
    for (const tool of tools) {
      const { annotations } = tool;
      expect(typeof annotations.readOnlyHint, `${tool.name}.readOnlyHint`).toBe('boolean');
      const read = { ...DEFAULTS, ...annotations };
      const spec = byTool.get(tool.name)!;
      expect(read.readOnlyHint, tool.name).toBe(spec.readOnlyHint);
      expect(read.openWorldHint, tool.name).toBe(spec.openWorldHint);
      if (!spec.readOnlyHint) {
        expect(read.destructiveHint, tool.name).toBe(spec.destructiveHint);
        expect(read.idempotentHint, tool.name).toBe(spec.idempotentHint);
      } else {
        expect(annotations.destructiveHint, tool.name).toBeUndefined();
      }
      // The tool's own title is what clients show; a copy in the annotations would only repeat it.
      expect(annotations.title).toBeUndefined();
      expect(tool.title.length).toBeGreaterThan(0);
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

  it('lists every argument the server validates, with the same required ones', () => {
    expect(Object.keys(validation).sort()).toEqual(tools.map((t) => t.name).sort());
    for (const tool of tools) {
      const full = validation[tool.name]!;
      // A union (notion_job_start: one model per kind) is listed as one object: every branch's arguments, the
      // ones all branches require.
      const branches: any[] = full.oneOf ?? [full];
      const names = [...new Set(branches.flatMap((b) => Object.keys(b.properties)))];
      const required = names.filter((n) => branches.every((b) => (b.required ?? []).includes(n)));
      expect(Object.keys(tool.inputSchema.properties ?? {}), tool.name).toEqual(names);
      expect(tool.inputSchema.required ?? [], tool.name).toEqual(required);
      // The validator keeps every constraint: unknown arguments are refused, ids are checked.
      for (const branch of branches) expect(branch.additionalProperties, tool.name).toBe(false);
    }
    expect(validation.notion_job_start!.oneOf).toHaveLength(5);
    expect(validation.notion_upsert!.properties.data_source_id.pattern).toMatch(/0-9a-fA-F/);
  });

  it('accepts in the listed output schema what the full result schema accepts (looser, never stricter)', () => {
    const ajv = createAjv();
    const upsert = ajv.compile(tools.find((t) => t.name === 'notion_upsert')!.outputSchema);
    const result = {
      action: 'created',
      page: { id: 'x', url: null, title: 'T', properties: { Done: true }, last_edited_time: '2026-01-01' },
    };
    expect(upsert(result)).toBe(true);
    expect(upsert({ ...result, action: 3 })).toBe(false);
    const job = ajv.compile(tools.find((t) => t.name === 'notion_job_get')!.outputSchema);
    expect(
      job({ job_id: 'j', kind: 'bulk', status: 'queued', progress: 0, counts: {}, output: null, error: null }),
    ).toBe(true);
  });

  it('lists portable schemas: one type per schema (nullable as anyOf), a keyword in every schema, no boolean schema', () => {
    // The rules of the MCP Inspector's `--strict` check (test/e2e/inspector.test.ts runs the Inspector itself).
    const KEYWORDS =
      /^(type|enum|const|anyOf|oneOf|allOf|not|items|properties|required|additionalProperties|minimum|maximum|minLength|maxLength|pattern|format|\$ref)$/;
    const findings: string[] = [];
    const walk = (node: unknown, where: string): void => {
      if (typeof node === 'boolean') findings.push(`${where}: boolean schema`);
      if (!node || typeof node !== 'object') return;
      const schema = node as Record<string, unknown>;
      if (Array.isArray(schema.type)) findings.push(`${where}: type array`);
      if (!Object.keys(schema).some((k) => KEYWORDS.test(k))) findings.push(`${where}: no keyword`);
      for (const [name, sub] of Object.entries((schema.properties as object) ?? {})) walk(sub, `${where}.${name}`);
      if (schema.items !== undefined) walk(schema.items, `${where}[]`);
      for (const key of ['anyOf', 'oneOf', 'allOf'])
        for (const [i, sub] of ((schema[key] as unknown[]) ?? []).entries()) walk(sub, `${where}.${key}[${i}]`);
    };
    for (const tool of tools) {
      walk(tool.inputSchema, `${tool.name}.inputSchema`);
      walk(tool.outputSchema, `${tool.name}.outputSchema`);
    }
    expect(findings).toEqual([]);
  });
});
