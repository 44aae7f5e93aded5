// The MCP size policy counts a result as the client receives it, its JSON twice (structured, and quoted inside the
// text content). quotedLength() computes the quoted length without building the quoted copy; it must equal it.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { quotedLength } from '../../src/mcp/server.ts';

describe('quotedLength', () => {
  it('equals JSON.stringify(json).length for any JSON text, lone surrogates and control characters included', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string({ unit: 'binary' }), (value, text) => {
        for (const json of [JSON.stringify(value), JSON.stringify(text), JSON.stringify({ text, value })]) {
          if (json === undefined) continue;
          expect(quotedLength(json)).toBe(JSON.stringify(json).length);
        }
      }),
      { numRuns: 2000 },
    );
    expect(quotedLength(JSON.stringify({ a: 'say "hi"\n\\' }))).toBe(
      JSON.stringify(JSON.stringify({ a: 'say "hi"\n\\' })).length,
    );
  });
});
