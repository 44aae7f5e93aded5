// Rich text: request items → response items (plain_text, href, full annotations), with Notion's limits.
import type { ApiColor } from '@notionhq/client';
import { validation } from './errors.ts';
import type { RichTextItemResponse } from './sdk.ts';
import type { Workspace } from './store.ts';
import { describe, isObject, normalizeId } from './util.ts';

export const MAX_TEXT = 2000;

type MentionResponse = Extract<RichTextItemResponse, { type: 'mention' }>['mention'];

type Annotations = RichTextItemResponse['annotations'];

const DEFAULT_ANNOTATIONS: Annotations = {
  bold: false,
  italic: false,
  strikethrough: false,
  underline: false,
  code: false,
  color: 'default',
};

/** Notion's text colours; select, multi-select and status options use the first ten (no backgrounds). */
export const TEXT_COLORS = [
  'default',
  'gray',
  'brown',
  'orange',
  'yellow',
  'green',
  'blue',
  'purple',
  'pink',
  'red',
] as const;
const COLORS: readonly ApiColor[] = [...TEXT_COLORS, ...TEXT_COLORS.map((c) => `${c}_background` as const)];

/** A rich text item in response shape (the SDK's `RichTextItemResponse`). */
export type RichText = RichTextItemResponse;

/** Request annotations → the full response set; unknown keys are dropped, wrong types are a validation_error. */
function toAnnotations(raw: unknown, path: string): Annotations {
  if (raw === undefined) return { ...DEFAULT_ANNOTATIONS };
  if (!isObject(raw)) throw validation(`${path} should be an object, instead was ${describe(raw)}.`);
  const out = { ...DEFAULT_ANNOTATIONS };
  for (const k of ['bold', 'italic', 'strikethrough', 'underline', 'code'] as const) {
    const v = raw[k];
    if (v === undefined) continue;
    if (typeof v !== 'boolean') throw validation(`${path}.${k} should be a boolean, instead was ${describe(v)}.`);
    out[k] = v;
  }
  if (raw.color !== undefined) {
    const c = COLORS.find((x) => x === raw.color);
    if (!c)
      throw validation(`${path}.color should be one of ${COLORS.join(', ')}, instead was ${describe(raw.color)}.`);
    out.color = c;
  }
  return out;
}

/** Resolves mention titles lazily (pages/databases) — set by pages.ts to avoid an import cycle. */
export const mentionTitle: { fn: (ws: Workspace, kind: string, id: string) => string } = {
  fn: () => 'Untitled',
};

export function toRichText(raw: unknown, path: string, ws: Workspace): RichText[] {
  if (!Array.isArray(raw)) throw validation(`${path} should be an array, instead was ${describe(raw)}.`);
  return raw.map((item, i) => toRichTextItem(item, `${path}[${i}]`, ws));
}

function toRichTextItem(item: unknown, path: string, ws: Workspace): RichText {
  if (!isObject(item)) throw validation(`${path} should be an object, instead was ${describe(item)}.`);
  const annotations = toAnnotations(item.annotations, `${path}.annotations`);
  const type =
    (item.type as string | undefined) ??
    (item.text ? 'text' : item.mention ? 'mention' : item.equation ? 'equation' : undefined);
  if (type === 'text') {
    const text = item.text;
    if (!isObject(text) || typeof text.content !== 'string')
      throw validation(
        `${path}.text.content should be a string, instead was ${describe(isObject(text) ? text.content : text)}.`,
      );
    if (text.content.length > MAX_TEXT)
      throw validation(
        `${path}.text.content.length should be ≤ \`${MAX_TEXT}\`, instead was \`${text.content.length}\`.`,
      );
    const link = isObject(text.link) && typeof text.link.url === 'string' ? { url: text.link.url } : null;
    return {
      type: 'text',
      text: { content: text.content, link },
      annotations,
      plain_text: text.content,
      href: link?.url ?? null,
    };
  }
  if (type === 'equation') {
    const eq = item.equation;
    if (!isObject(eq) || typeof eq.expression !== 'string')
      throw validation(`${path}.equation.expression should be a string, instead was ${describe(eq)}.`);
    return {
      type: 'equation',
      equation: { expression: eq.expression },
      annotations,
      plain_text: eq.expression,
      href: null,
    };
  }
  if (type === 'mention') {
    const m = item.mention;
    if (!isObject(m)) throw validation(`${path}.mention should be an object, instead was ${describe(m)}.`);
    const mtype = (m.type as string | undefined) ?? Object.keys(m).find((k) => k !== 'type');
    const val = mtype ? m[mtype] : undefined;
    if (mtype === 'page' || mtype === 'database' || mtype === 'user') {
      const id = normalizeId(isObject(val) ? val.id : undefined);
      if (!id)
        throw validation(
          `${path}.mention.${mtype}.id should be a valid uuid, instead was ${describe(isObject(val) ? val.id : val)}.`,
        );
      const plain =
        mtype === 'user'
          ? `@${ws.users.find((u) => u.id === id)?.name ?? 'Unknown user'}`
          : mentionTitle.fn(ws, mtype, id);
      const mention: MentionResponse =
        mtype === 'user'
          ? { type: 'user', user: { object: 'user', id } }
          : mtype === 'page'
            ? { type: 'page', page: { id } }
            : { type: 'database', database: { id } };
      return {
        type: 'mention',
        mention,
        annotations,
        plain_text: plain,
        href: mtype === 'user' ? null : `https://www.notion.so/${id.replace(/-/g, '')}`,
      };
    }
    if (mtype === 'date' && isObject(val) && typeof val.start === 'string') {
      const date = {
        start: val.start,
        end: (val.end as string | undefined) ?? null,
        time_zone: (val.time_zone as string | undefined) ?? null,
      };
      return { type: 'mention', mention: { type: 'date', date }, annotations, plain_text: val.start, href: null };
    }
    if (mtype === 'link_preview' && isObject(val) && typeof val.url === 'string') {
      return {
        type: 'mention',
        mention: { type: 'link_preview', link_preview: { url: val.url } },
        annotations,
        plain_text: val.url,
        href: val.url,
      };
    }
    throw validation(`${path}.mention type ${describe(mtype)} is not supported by the sandbox.`);
  }
  throw validation(`${path}.text should be defined, instead was \`undefined\`.`);
}

export const plainText = (rt: unknown): string =>
  Array.isArray(rt)
    ? rt.map((r) => (isObject(r) && typeof r.plain_text === 'string' ? r.plain_text : '')).join('')
    : '';

/** A text-only rich text item (used for defaults, markdown and seeds). */
export function textItem(
  content: string,
  annotations: Partial<Annotations> = {},
  link: string | null = null,
): RichText {
  return {
    type: 'text',
    text: { content, link: link ? { url: link } : null },
    annotations: { ...DEFAULT_ANNOTATIONS, ...annotations },
    plain_text: content,
    href: link,
  };
}
