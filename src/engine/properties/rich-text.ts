/**
 * Text ↔ Notion rich text. Plain text by default; simple Markdown spans on request: `**bold**`, `*italic*` /
 * `_italic_`, `~~strike~~`, `` `code` `` and `[text](url)`, with `\` escaping a marker character. Every item holds
 * at most 2,000 characters (Notion's limit), a rich-text array at most 100 items.
 */
import type { RichTextItemRequest, RichTextItemResponse } from './types.ts';

export const MAX_TEXT_LENGTH = 2000;
export const MAX_RICH_TEXT_ITEMS = 100;

/** One run of text with the same formatting. */
export interface TextSpan {
  text: string;
  bold?: boolean;
  italic?: boolean;
  strikethrough?: boolean;
  code?: boolean;
  link?: string;
}

const ESCAPABLE = '\\*_`~[]';
const isSpace = (c: string | undefined) => c === undefined || /\s/.test(c);
const isWordChar = (c: string | undefined) => c !== undefined && /[\p{L}\p{N}]/u.test(c);

/** Parses the Markdown spans above; anything else stays literal text. */
export function parseMarkdownSpans(md: string): TextSpan[] {
  const out: TextSpan[] = [];
  const st = { bold: false, italic: false, strikethrough: false };
  let italicChar = '';
  let link: { url: string; end: number; resume: number } | undefined;
  let buf = '';
  const current = (): Omit<TextSpan, 'text'> => ({
    ...(st.bold ? { bold: true } : {}),
    ...(st.italic ? { italic: true } : {}),
    ...(st.strikethrough ? { strikethrough: true } : {}),
    ...(link ? { link: link.url } : {}),
  });
  const push = (span: TextSpan) => {
    const last = out[out.length - 1];
    if (last && sameFormat(last, span)) last.text += span.text;
    else if (span.text) out.push(span);
  };
  const flush = () => {
    if (buf) push({ text: buf, ...current() });
    buf = '';
  };
  /** Whether `marker` occurs after a non-empty run starting at `from`, where it could close a span (escapes skipped). */
  const hasCloser = (marker: string, from: number, end: number) => {
    for (let j = from; j < end; j++) {
      if (md[j] === '\\') {
        j++;
        continue;
      }
      if (j > from && md.startsWith(marker, j) && j + marker.length <= end && !isSpace(md[j - 1])) {
        if (marker === '_' && isWordChar(md[j + 1])) continue;
        return true;
      }
    }
    return false;
  };
  let i = 0;
  while (i < md.length) {
    const end = link ? link.end : md.length;
    if (link && i === link.end) {
      flush();
      i = link.resume;
      link = undefined;
      continue;
    }
    const c = md[i]!;
    if (c === '\\' && i + 1 < end && ESCAPABLE.includes(md[i + 1]!)) {
      buf += md[i + 1];
      i += 2;
      continue;
    }
    if (c === '`') {
      const close = md.indexOf('`', i + 1);
      if (close > i + 1 && close < end) {
        flush();
        push({ text: md.slice(i + 1, close), ...current(), code: true });
        i = close + 1;
        continue;
      }
    }
    const toggled = toggle(i, end);
    if (toggled) {
      i = toggled;
      continue;
    }
    if (c === '[' && !link) {
      const found = linkAt(md, i);
      if (found) {
        flush();
        link = found;
        i += 1;
        continue;
      }
    }
    buf += c;
    i++;
  }
  flush();
  return out;

  /** Opens or closes bold, strikethrough or italic at `i`; returns the next index, or 0 when no marker is there. */
  function toggle(i: number, end: number): number {
    for (const [marker, key] of [
      ['**', 'bold'],
      ['~~', 'strikethrough'],
    ] as const) {
      if (!md.startsWith(marker, i)) continue;
      if (st[key] && !isSpace(md[i - 1])) {
        flush();
        st[key] = false;
        return i + 2;
      }
      if (!st[key] && !isSpace(md[i + 2]) && hasCloser(marker, i + 2, end)) {
        flush();
        st[key] = true;
        return i + 2;
      }
      return 0;
    }
    const c = md[i];
    if (c !== '*' && c !== '_') return 0;
    if (st.italic && c === italicChar && !isSpace(md[i - 1]) && !(c === '_' && isWordChar(md[i + 1]))) {
      flush();
      st.italic = false;
      return i + 1;
    }
    if (!st.italic && !isSpace(md[i + 1]) && !(c === '_' && isWordChar(md[i - 1])) && hasCloser(c, i + 1, end)) {
      flush();
      st.italic = true;
      italicChar = c;
      return i + 1;
    }
    return 0;
  }
}

/** `[text](url)` or `[text](<url>)` starting at `i`: where the text ends and where parsing resumes after the link. */
function linkAt(md: string, i: number): { url: string; end: number; resume: number } | undefined {
  let j = i + 1;
  while (j < md.length && md[j] !== ']') {
    if (md[j] === '\\') j++;
    else if (md[j] === '[') return undefined;
    else if (md[j] === '`') {
      // A code span is opaque: a `]` inside it does not end the link text.
      const close = md.indexOf('`', j + 1);
      if (close > j + 1) j = close;
    }
    j++;
  }
  if (j >= md.length || j === i + 1) return undefined;
  const m = /^\((?:<([^<>\n]+)>|([^()\s]+))\)/.exec(md.slice(j + 1));
  if (!m) return undefined;
  return { url: (m[1] ?? m[2])!, end: j, resume: j + 1 + m[0].length };
}

const sameFormat = (a: Omit<TextSpan, 'text'>, b: Omit<TextSpan, 'text'>) =>
  !!a.bold === !!b.bold &&
  !!a.italic === !!b.italic &&
  !!a.strikethrough === !!b.strikethrough &&
  !!a.code === !!b.code &&
  a.link === b.link;

/** Splits text into pieces of at most `max` UTF-16 units without cutting a surrogate pair in half. */
export function splitText(text: string, max = MAX_TEXT_LENGTH): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    let end = Math.min(i + max, text.length);
    if (end < text.length && /[\uD800-\uDBFF]/.test(text[end - 1]!)) end--;
    out.push(text.slice(i, end));
    i = end;
  }
  return out;
}

/** Spans → Notion rich-text request items, each ≤ 2,000 characters. */
export function spansToRichText(spans: readonly TextSpan[]): RichTextItemRequest[] {
  const items: RichTextItemRequest[] = [];
  for (const s of spans) {
    const annotations = {
      ...(s.bold ? { bold: true } : {}),
      ...(s.italic ? { italic: true } : {}),
      ...(s.strikethrough ? { strikethrough: true } : {}),
      ...(s.code ? { code: true } : {}),
    };
    for (const content of splitText(s.text)) {
      items.push({
        type: 'text',
        text: s.link ? { content, link: { url: s.link } } : { content },
        ...(Object.keys(annotations).length ? { annotations } : {}),
      });
    }
  }
  return items;
}

/** Text (plain, or Markdown spans when `markdown`) → Notion rich-text request items. */
export function textToRichText(text: string, options: { markdown?: boolean } = {}): RichTextItemRequest[] {
  return spansToRichText(options.markdown ? parseMarkdownSpans(text) : [{ text }]);
}

/** The plain text of rich-text items (what Notion shows, mentions as their titles). */
export const plainText = (items: readonly RichTextItemResponse[]): string => items.map((r) => r.plain_text).join('');

const escapeMarkdown = (s: string) => s.replace(/[\\*_`~[\]]/g, (c) => `\\${c}`);

/**
 * Rich-text items → Markdown spans that `parseMarkdownSpans` reads back to the same formatting. Underline and
 * colours have no Markdown form and are dropped, as is formatting on leading or trailing spaces of a run (Markdown
 * markers must touch text); a code run holding a backtick becomes plain text; mentions and equations become their
 * plain text.
 */
export function richTextToMarkdown(items: readonly RichTextItemResponse[]): string {
  return spansToMarkdown(
    items.map((r) => ({
      text: r.plain_text,
      ...(r.annotations.bold ? { bold: true } : {}),
      ...(r.annotations.italic ? { italic: true } : {}),
      ...(r.annotations.strikethrough ? { strikethrough: true } : {}),
      ...(r.annotations.code ? { code: true } : {}),
      ...(r.type === 'text' && r.text.link ? { link: r.text.link.url } : {}),
    })),
  );
}

/** The canonical form of spans: formatting moved off edge spaces, code with backticks made plain, runs merged. */
export function canonicalSpans(spans: readonly TextSpan[]): TextSpan[] {
  const out: TextSpan[] = [];
  const push = (span: TextSpan) => {
    if (!span.text) return;
    const last = out[out.length - 1];
    if (last && sameFormat(last, span)) last.text += span.text;
    else out.push({ ...span });
  };
  for (const s of spans) {
    const [, lead, core, trail] = /^(\s*)([\s\S]*?)(\s*)$/.exec(s.text) as unknown as [string, string, string, string];
    const plain: TextSpan = s.link ? { text: '', link: s.link } : { text: '' };
    push({ ...plain, text: lead });
    const { code, ...rest } = s;
    push(code && !core.includes('`') ? { ...rest, code: true, text: core } : { ...rest, text: core });
    push({ ...plain, text: trail });
  }
  return out;
}

const FLAGS = [
  ['strikethrough', '~~'],
  ['bold', '**'],
  ['italic', '*'],
] as const;

/** Spans → Markdown: runs sharing a link become one `[…](url)`; inside, markers open and close at each change. */
export function spansToMarkdown(spans: readonly TextSpan[]): string {
  const canonical = canonicalSpans(spans);
  let out = '';
  for (let i = 0; i < canonical.length; ) {
    const link = canonical[i]!.link;
    let j = i;
    while (j < canonical.length && canonical[j]!.link === link) j++;
    const inner = renderRuns(canonical.slice(i, j));
    out += link === undefined ? inner : `[${inner}](${/[()\s]/.test(link) ? `<${link}>` : link})`;
    i = j;
  }
  return out;
}

function renderRuns(spans: readonly TextSpan[]): string {
  const open = { strikethrough: false, bold: false, italic: false };
  let out = '';
  const to = (want: Record<keyof typeof open, boolean>) => {
    // Closing before opening; a run like `***` reads back as `**` + `*`, and toggles commute, so any mix works.
    for (const [key, marker] of FLAGS)
      if (open[key] && !want[key]) {
        out += marker;
        open[key] = false;
      }
    for (const [key, marker] of FLAGS)
      if (!open[key] && want[key]) {
        out += marker;
        open[key] = true;
      }
  };
  for (const s of spans) {
    const formatted = /\S/.test(s.text);
    to({
      strikethrough: formatted && !!s.strikethrough,
      bold: formatted && !!s.bold,
      italic: formatted && !!s.italic,
    });
    out += s.code ? `\`${s.text}\`` : escapeMarkdown(s.text);
  }
  to({ strikethrough: false, bold: false, italic: false });
  return out;
}
