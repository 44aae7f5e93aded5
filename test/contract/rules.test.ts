/**
 * tools/codegen/rules.ts refuses to generate from a contract whose declarations disagree: here, the bulk use of an
 * operation (x-engine.bulk: which writes a bulk may run, under which names, which may simply run again). Each case
 * plants one inconsistency in a copy of the generated full document and expects the rule that names it.
 */
import { describe, expect, it } from 'vitest';
import { loadGeneratedDocument, type OpenApiDocument, type Operation } from '../../src/contract/openapi.ts';
import { assertContractRules } from '../../tools/codegen/rules.ts';

const full = loadGeneratedDocument('openapi.full.json');
const actions = loadGeneratedDocument('openapi.actions.json');

/** The full document with one operation changed (the Actions twin too, so only the planted rule can fire). */
function planted(path: string, method: string, change: (op: Operation) => void): [OpenApiDocument, OpenApiDocument] {
  const [f, a] = [structuredClone(full), structuredClone(actions)];
  change(f.paths[path]![method]!);
  if (a.paths[path]?.[method]) change(a.paths[path][method]);
  return [f, a];
}

const refusal = (docs: [OpenApiDocument, OpenApiDocument]) => {
  try {
    assertContractRules(...docs);
    return '';
  } catch (error) {
    return (error as Error).message;
  }
};

describe('contract rules on x-engine.bulk', () => {
  it('accept the committed contract', () => {
    expect(refusal([full, actions])).toBe('');
  });

  it.each([
    [
      'a read as a bulk op',
      '/v1/query',
      'post',
      (op: Operation) => {
        op['x-engine']!.bulk = { calls: 1, naturallyIdempotent: false, aliases: [] };
      },
      'only a write tool that needs a connection can be a bulk op',
    ],
    [
      'a write that is not naturally idempotent declared so',
      '/v1/notion/request',
      'post',
      (op: Operation) => {
        op['x-engine']!.bulk!.naturallyIdempotent = true;
      },
      'a naturally idempotent bulk op must have idempotentHint: true',
    ],
    [
      'no estimate of its Notion calls',
      '/v1/pages',
      'post',
      (op: Operation) => {
        op['x-engine']!.bulk!.calls = 0;
      },
      'x-engine.bulk.calls must be an integer ≥ 1',
    ],
    [
      'an alias another op already has',
      '/v1/link',
      'post',
      (op: Operation) => {
        op['x-engine']!.bulk!.aliases = ['link', 'upsert'];
      },
      'bulk alias "upsert" is used twice',
    ],
    [
      'an alias that is another operation id',
      '/v1/pages',
      'post',
      (op: Operation) => {
        op['x-engine']!.bulk!.aliases = ['notion_page_update'];
      },
      `bulk alias "notion_page_update" is another operation's id`,
    ],
  ])('refuse %s', (_what, path, method, change, rule) => {
    expect(refusal(planted(path, method, change))).toContain(rule);
  });
});
