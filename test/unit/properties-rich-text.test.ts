import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalSpans,
  parseMarkdownSpans,
  spansToMarkdown,
  splitText,
  type TextSpan,
} from '../../src/engine/properties/rich-text.ts';

describe('Markdown spans', () => {
  it('parses bold, italic, strikethrough, code and links, nested', () => {
    expect(parseMarkdownSpans('a **b *c*** _d_ ~~e~~ `f*` [g **h**](https://x.dev/a_b) \\*i\\*')).toEqual([
      { text: 'a ' },
      { text: 'b ', bold: true },
      { text: 'c', bold: true, italic: true },
      { text: ' ' },
      { text: 'd', italic: true },
      { text: ' ' },
      { text: 'e', strikethrough: true },
      { text: ' ' },
      { text: 'f*', code: true },
      { text: ' ' },
      { text: 'g ', link: 'https://x.dev/a_b' },
      { text: 'h', bold: true, link: 'https://x.dev/a_b' },
      { text: ' *i*' },
    ]);
  });

  it('leaves what is not a span as text', () => {
    for (const s of ['2 * 3 * 4', 'snake_case_name', '**unclosed', 'a ** b', '[not a link]', '[x](not a url)', '`'])
      expect(parseMarkdownSpans(s)).toEqual([{ text: s }]);
  });

  it('renders spans so that they parse back the same (property)', () => {
    const chars = fc.constantFrom(...'ab *_`~[]\\()\n'.split(''), 'é', '😀');
    const span = fc.record(
      {
        text: fc.array(chars, { minLength: 1, maxLength: 6 }).map((a) => a.join('')),
        bold: fc.boolean(),
        italic: fc.boolean(),
        strikethrough: fc.boolean(),
        code: fc.boolean(),
        link: fc.constantFrom(undefined, 'https://x.dev/a', 'https://x.dev/(b) c'),
      },
      { requiredKeys: ['text'] },
    );
    fc.assert(
      fc.property(fc.array(span, { maxLength: 6 }), (spans) => {
        const clean = spans.map((s) =>
          Object.fromEntries(Object.entries(s).filter(([, v]) => v !== false && v !== undefined)),
        ) as unknown as TextSpan[];
        const md = spansToMarkdown(clean);
        expect(parseMarkdownSpans(md)).toEqual(canonicalSpans(clean));
      }),
      { numRuns: 500 },
    );
  });
});

describe('splitText', () => {
  it('keeps every character, in pieces of at most the limit, never splitting a surrogate pair (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), fc.integer({ min: 2, max: 50 }), (s, max) => {
        const parts = splitText(s, max);
        expect(parts.join('')).toBe(s);
        for (const p of parts) {
          expect(p.length).toBeLessThanOrEqual(max);
          expect(p.length).toBeGreaterThan(0);
          expect(p).toBe(p.toWellFormed());
        }
      }),
    );
  });
});
