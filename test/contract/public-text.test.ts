/**
 * What ChatGPT and every other client read — the served OpenAPI documents and the MCP tools/list — carries no
 * internal reference: design-document sections ("seed §7.2.1") mean nothing to a caller.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const PUBLIC_DOCUMENTS = ['openapi.actions.json', 'openapi.full.json', 'mcp-tools.json'];

/** Every string of a JSON document with its JSON pointer (keys included: a property name is public too). */
function* strings(value: unknown, pointer = ''): Generator<[string, string]> {
  if (typeof value === 'string') yield [pointer, value];
  else if (Array.isArray(value)) for (const [i, v] of value.entries()) yield* strings(v, `${pointer}/${i}`);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      yield [`${pointer}/${k} (key)`, k];
      yield* strings(v, `${pointer}/${k}`);
    }
  }
}

describe('public descriptions', () => {
  for (const name of PUBLIC_DOCUMENTS) {
    it(`generated/${name} carries no internal section reference (§, "seed §")`, () => {
      const document = JSON.parse(readFileSync(new URL(`../../generated/${name}`, import.meta.url), 'utf8'));
      const offending = [...strings(document)].filter(([, s]) => s.includes('§')).map(([p]) => p);
      expect(offending, 'fix the description in spec/*.tsp, then npm run gen').toEqual([]);
    });
  }

  it('the check finds a planted reference', () => {
    const planted = { paths: { '/x': { post: { description: 'Search (seed §4.3).' } } } };
    expect([...strings(planted)].filter(([, s]) => s.includes('§')).map(([p]) => p)).toEqual([
      '/paths//x/post/description',
    ]);
  });
});
