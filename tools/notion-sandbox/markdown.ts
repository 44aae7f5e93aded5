// Page Markdown (API 2026-03-11 routes): GET/PATCH /v1/pages/:id/markdown.
// The mapping is deliberately small (see README): headings 1-3, paragraphs, bulleted / numbered / to-do
// list items (nested by two-space indentation), quotes, fenced code, dividers; inline **bold**, *italic*,
// `code`, ~~strike~~, [text](url). Child pages/databases render as <page>/<database> tags and survive edits;
// other block types render as <unknown> tags and are listed in unknown_block_ids.
import { insertChildren, liveChildren } from './blocks.ts';
import { NotionError, validation } from './errors.ts';
import { requirePage } from './pages.ts';
import { pageTitle } from './properties.ts';
import { type RichText, textItem } from './richtext.ts';
import type { Ctx, Route } from './router.ts';
import type { PageMarkdownResponse, Untrusted, UpdatePageMarkdownParameters } from './sdk.ts';
import type { Workspace } from './store.ts';
import { describe, isObject, noDashes, tick } from './util.ts';

export const MARKDOWN_MIN_VERSION = '2026-03-11';

// ---------------------------------------------------------------- blocks → markdown

function inline(rt: unknown): string {
  if (!Array.isArray(rt)) return '';
  return (rt as RichText[])
    .map((r) => {
      let s = r.plain_text;
      const a = r.annotations;
      if (a.code) s = `\`${s}\``;
      if (a.bold) s = `**${s}**`;
      if (a.italic) s = `*${s}*`;
      if (a.strikethrough) s = `~~${s}~~`;
      if (r.href) s = `[${s}](${r.href})`;
      return s;
    })
    .join('');
}

function render(ws: Workspace, containerId: string, indent: string, out: string[], unknown: string[]): void {
  let n = 0;
  for (const id of liveChildren(ws, containerId)) {
    const b = ws.content.blocks[id];
    if (!b) {
      const page = ws.content.pages[id];
      if (page)
        out.push(
          `${indent}<page url="https://www.notion.so/${noDashes(id)}">${pageTitle(ws, page) || 'Untitled'}</page>`,
        );
      const db = ws.content.databases[id];
      if (db)
        out.push(
          `${indent}<database url="https://www.notion.so/${noDashes(id)}">${db.title.map((t) => (t as RichText).plain_text).join('')}</database>`,
        );
      continue;
    }
    const c = b.content;
    const text = inline(c.rich_text);
    n = b.type === 'numbered_list_item' ? n + 1 : 0;
    let nestChildren = true;
    switch (b.type) {
      case 'paragraph':
        out.push(`${indent}${text}`);
        break;
      case 'heading_1':
      case 'heading_2':
      case 'heading_3':
        out.push(`${indent}${'#'.repeat(Number(b.type.slice(-1)))} ${text}`);
        break;
      case 'bulleted_list_item':
        out.push(`${indent}- ${text}`);
        break;
      case 'numbered_list_item':
        out.push(`${indent}${n}. ${text}`);
        break;
      case 'to_do':
        out.push(`${indent}- [${c.checked ? 'x' : ' '}] ${text}`);
        break;
      case 'quote':
        out.push(`${indent}> ${text}`);
        break;
      case 'divider':
        out.push(`${indent}---`);
        break;
      case 'code':
        out.push(
          `${indent}\`\`\`${c.language === 'plain text' ? '' : c.language}`,
          ...(c.rich_text as RichText[])
            .map((r) => r.plain_text)
            .join('')
            .split('\n')
            .map((l) => indent + l),
          `${indent}\`\`\``,
        );
        break;
      default:
        unknown.push(b.id);
        out.push(`${indent}<unknown id="${b.id}" type="${b.type}"/>`);
        nestChildren = false;
    }
    if (nestChildren && (ws.content.children[id] ?? []).length) render(ws, id, `${indent}  `, out, unknown);
  }
}

export function pageMarkdown(ws: Workspace, pageId: string): { markdown: string; unknown: string[] } {
  const out: string[] = [];
  const unknown: string[] = [];
  render(ws, pageId, '', out, unknown);
  return { markdown: out.join('\n'), unknown };
}

// ---------------------------------------------------------------- markdown → blocks

function parseInline(s: string): RichText[] {
  const out: RichText[] = [];
  const re = /\[([^\]]+)\]\(([^)]+)\)|\*\*([^*]+)\*\*|~~([^~]+)~~|`([^`]+)`|\*([^*]+)\*|_([^_]+)_/g;
  let last = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    if (m.index > last) out.push(textItem(s.slice(last, m.index)));
    if (m[1] !== undefined) out.push(textItem(m[1], {}, m[2]!));
    else if (m[3] !== undefined) out.push(textItem(m[3], { bold: true }));
    else if (m[4] !== undefined) out.push(textItem(m[4], { strikethrough: true }));
    else if (m[5] !== undefined) out.push(textItem(m[5], { code: true }));
    else out.push(textItem((m[6] ?? m[7])!, { italic: true }));
    last = m.index + m[0].length;
  }
  if (last < s.length) out.push(textItem(s.slice(last)));
  // Respect Notion's 2,000-character limit per rich-text item by splitting long runs.
  return out.flatMap((r) =>
    r.plain_text.length <= 2000
      ? [r]
      : (r.plain_text.match(/[\s\S]{1,2000}/g) ?? []).map((chunk) => textItem(chunk, r.annotations, r.href)),
  );
}

/** A parsed node: either a new block request or a reference to an existing child page/database/unknown block. */
type Node = { keep: string } | { block: Record<string, unknown>; children: Node[] };

export function parseMarkdown(md: string): Node[] {
  const lines = md.replace(/\r\n/g, '\n').split('\n');
  const root: Node[] = [];
  const stack: Array<{ indent: number; children: Node[] }> = [{ indent: -1, children: root }];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line.trim()) continue;
    const indent = line.length - line.trimStart().length;
    const t = line.trim();
    while (stack.length > 1 && stack[stack.length - 1]!.indent >= indent) stack.pop();
    const parent = stack[stack.length - 1]!;
    const push = (type: string, content: Record<string, unknown>) => {
      const node: Node = { block: { type, [type]: content }, children: [] };
      parent.children.push(node);
      stack.push({ indent, children: node.children });
    };
    const keep = /^<(page|database) url="[^"]*?([0-9a-f]{32})">/.exec(t) ?? /^<unknown id="([0-9a-f-]{36})"/.exec(t);
    if (keep) {
      const raw = keep[2] ?? keep[1]!;
      const h = raw.replace(/-/g, '');
      parent.children.push({
        keep: `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`,
      });
      continue;
    }
    if (t.startsWith('```')) {
      const lang = t.slice(3).trim() || 'plain text';
      const body: string[] = [];
      for (i++; i < lines.length && !lines[i]!.trim().startsWith('```'); i++)
        body.push(lines[i]!.slice(Math.min(indent, lines[i]!.length - lines[i]!.trimStart().length)));
      parent.children.push({
        block: {
          type: 'code',
          code: {
            language: lang,
            rich_text: parseInline(body.join('\n')).map((r) => ({
              ...r,
              annotations: { ...r.annotations, bold: false, italic: false, code: false },
            })),
          },
        },
        children: [],
      });
      continue;
    }
    const h = /^(#{1,3})\s+(.*)$/.exec(t);
    const todo = /^[-*]\s+\[( |x|X)\]\s?(.*)$/.exec(t);
    const bullet = /^[-*+]\s+(.*)$/.exec(t);
    const numbered = /^\d+[.)]\s+(.*)$/.exec(t);
    const quote = /^>\s?(.*)$/.exec(t);
    if (h) push(`heading_${h[1]!.length}`, { rich_text: parseInline(h[2]!) });
    else if (todo) push('to_do', { rich_text: parseInline(todo[2]!), checked: todo[1] !== ' ' });
    else if (/^(---|\*\*\*|___)$/.test(t)) push('divider', {});
    else if (bullet) push('bulleted_list_item', { rich_text: parseInline(bullet[1]!) });
    else if (numbered) push('numbered_list_item', { rich_text: parseInline(numbered[1]!) });
    else if (quote) push('quote', { rich_text: parseInline(quote[1]!) });
    else push('paragraph', { rich_text: parseInline(t) });
  }
  return root;
}

// ---------------------------------------------------------------- applying

function removeTree(ws: Workspace, id: string): void {
  for (const c of ws.content.children[id] ?? []) if (ws.content.blocks[c]) removeTree(ws, c);
  delete ws.content.children[id];
  delete ws.content.blocks[id];
}

/** Replaces a page's content with parsed markdown, keeping referenced child pages/databases/unknown blocks. */
function replaceContent(ctx: Ctx, pageId: string, md: string, allowDeleting: boolean): void {
  const ws = ctx.ws;
  const nodes = parseMarkdown(md);
  const kept = new Set<string>();
  const walk = (ns: Node[]) => {
    for (const n of ns)
      if ('keep' in n) kept.add(n.keep);
      else walk(n.children);
  };
  walk(nodes);
  const current = liveChildren(ws, pageId);
  const lost = current.filter((id) => !ws.content.blocks[id] && !kept.has(id));
  if (lost.length && !allowDeleting)
    throw validation(
      `This update would delete ${lost.length} child page(s) or database(s); pass allow_deleting_content: true to allow it.`,
    );
  for (const id of lost) {
    const p = ws.content.pages[id] ?? ws.content.databases[id];
    if (p) p.in_trash = true;
  }
  // Existing plain blocks are rebuilt from the markdown (except <unknown> ones that are referenced).
  for (const id of ws.content.children[pageId] ?? []) if (ws.content.blocks[id] && !kept.has(id)) removeTree(ws, id);
  ws.content.children[pageId] = [];
  const place = (containerId: string, kind: 'page' | 'block', ns: Node[]) => {
    for (const n of ns) {
      if ('keep' in n) {
        const list = ws.content.children[containerId] ?? [];
        list.push(n.keep);
        ws.content.children[containerId] = list;
        continue;
      }
      const [id] = insertChildren(ws, { kind, id: containerId }, [n.block], ctx.tok.botId, null, 'markdown');
      if (n.children.length) place(id!, 'block', n.children);
    }
  };
  place(pageId, 'page', nodes);
  const page = ws.content.pages[pageId]!;
  page.last_edited_time = tick();
  page.last_edited_by = ctx.tok.botId;
}

function checkVersion(ctx: Ctx): void {
  if (ctx.version < MARKDOWN_MIN_VERSION)
    throw new NotionError(
      400,
      'validation_error',
      `The page markdown endpoints require Notion-Version ${MARKDOWN_MIN_VERSION} or later; got ${ctx.version}.`,
    );
}

function str(v: unknown, path: string): string {
  if (typeof v !== 'string') throw validation(`${path} should be a string, instead was ${describe(v)}.`);
  return v;
}

export function pageMarkdownJson(ctx: Ctx, pageId: string): PageMarkdownResponse {
  const { markdown, unknown } = pageMarkdown(ctx.ws, pageId);
  return { object: 'page_markdown', id: pageId, markdown, truncated: false, unknown_block_ids: unknown };
}

export const markdownRoutes = [
  {
    method: 'GET',
    template: '/v1/pages/:page_id/markdown',
    handler: (ctx) => {
      checkVersion(ctx);
      return pageMarkdownJson(ctx, requirePage(ctx, ctx.params.page_id).id);
    },
  },
  {
    method: 'PATCH',
    template: '/v1/pages/:page_id/markdown',
    handler: (ctx) => {
      checkVersion(ctx);
      const page = requirePage(ctx, ctx.params.page_id);
      if (page.in_trash)
        throw validation(`Can't edit block that is archived. You must unarchive the block before editing.`);
      const b: Untrusted<UpdatePageMarkdownParameters> = ctx.body;
      const type = b.type as string;
      // The operation payload sits under the key named by `type` (insert_content, replace_content, …).
      const op = ctx.body[type];
      if (!isObject(op)) throw validation(`body.${type ?? 'type'} should be an object, instead was ${describe(op)}.`);
      const current = pageMarkdown(ctx.ws, page.id).markdown;
      let next: string;
      switch (type) {
        case 'replace_content':
          next = str(op.new_str, 'body.replace_content.new_str');
          break;
        case 'insert_content': {
          const content = str(op.content, 'body.insert_content.content');
          const pos = isObject(op.position) ? op.position.type : undefined;
          if (typeof op.after === 'string') {
            const at = current.indexOf(op.after);
            if (at < 0) throw validation(`body.insert_content.after: ${describe(op.after)} was not found in the page.`);
            const eol = current.indexOf('\n', at + op.after.length);
            const cut = eol < 0 ? current.length : eol;
            next = `${current.slice(0, cut)}\n${content}${current.slice(cut)}`;
          } else if (pos === 'start') next = `${content}\n${current}`;
          else next = current ? `${current}\n${content}` : content;
          break;
        }
        case 'update_content': {
          if (!Array.isArray(op.content_updates))
            throw validation('body.update_content.content_updates should be an array.');
          next = current;
          for (const [i, u] of op.content_updates.entries()) {
            if (!isObject(u)) throw validation(`body.update_content.content_updates[${i}] should be an object.`);
            const oldStr = str(u.old_str, `body.update_content.content_updates[${i}].old_str`);
            const newStr = str(u.new_str, `body.update_content.content_updates[${i}].new_str`);
            const count = oldStr ? next.split(oldStr).length - 1 : 0;
            if (count === 0)
              throw validation(`body.update_content.content_updates[${i}].old_str was not found in the page.`);
            if (count > 1 && u.replace_all_matches !== true)
              throw validation(
                `body.update_content.content_updates[${i}].old_str matches ${count} times; set replace_all_matches or make it unique.`,
              );
            next = u.replace_all_matches === true ? next.split(oldStr).join(newStr) : next.replace(oldStr, newStr);
          }
          break;
        }
        case 'replace_content_range': {
          const content = str(op.content, 'body.replace_content_range.content');
          const range = str(op.content_range, 'body.replace_content_range.content_range');
          const [start, end] = range.includes('...') ? (range.split('...') as [string, string]) : [range, ''];
          const a = current.indexOf(start);
          // The range runs from the start of `start` to the end of `end` (which may overlap `start`).
          let b2 = end ? current.indexOf(end, a) : a + start.length;
          while (end && b2 >= 0 && b2 + end.length < a + start.length) b2 = current.indexOf(end, b2 + 1);
          if (a < 0 || b2 < 0)
            throw validation(`body.replace_content_range.content_range ${describe(range)} was not found in the page.`);
          next = current.slice(0, a) + content + current.slice(b2 + end.length);
          break;
        }
        default:
          throw validation(
            `body.type should be one of insert_content, replace_content_range, update_content, replace_content, instead was ${describe(type)}.`,
          );
      }
      replaceContent(ctx, page.id, next, op.allow_deleting_content === true);
      return pageMarkdownJson(ctx, page.id);
    },
  },
] as const satisfies readonly Route[];
