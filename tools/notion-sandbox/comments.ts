// Comments on pages and blocks: create (new discussion or reply), list by block_id, retrieve, update, delete.
import { notFound, validation } from './errors.ts';
import { textItem, toRichText } from './richtext.ts';
import type { Ctx, Route } from './router.ts';
import type {
  CommentObjectResponse,
  CreateCommentParameters,
  ListCommentsResponse,
  Untrusted,
  UpdateCommentParameters,
} from './sdk.ts';
import type { CommentRec, Workspace } from './store.ts';
import { partialUser } from './users.ts';
import { describe, isObject, newId, normalizeId, paginate, tick } from './util.ts';

export function commentJson(ws: Workspace, c: CommentRec): CommentObjectResponse {
  const author = ws.users.find((u) => u.id === c.created_by);
  return {
    object: 'comment',
    id: c.id,
    parent:
      c.parent.type === 'page_id'
        ? { type: 'page_id', page_id: c.parent.id }
        : { type: 'block_id', block_id: c.parent.id },
    discussion_id: c.discussion_id,
    created_time: c.created_time,
    last_edited_time: c.last_edited_time,
    created_by: partialUser(c.created_by),
    rich_text: c.rich_text,
    display_name: { type: 'integration', resolved_name: author?.name ?? null },
  };
}

function content(ctx: Ctx) {
  const b: Untrusted<CreateCommentParameters & UpdateCommentParameters> = ctx.body;
  if (b.rich_text !== undefined) return toRichText(b.rich_text, 'body.rich_text', ctx.ws);
  if (typeof b.markdown === 'string') return [textItem(b.markdown)];
  throw validation('body.rich_text should be defined, instead was `undefined`.');
}

function requireComment(ctx: Ctx): CommentRec {
  const id = normalizeId(ctx.params.comment_id);
  const c = id ? ctx.ws.content.comments[id] : undefined;
  if (!c) throw notFound(ctx.params.comment_id!, 'comment');
  return c;
}

export const commentRoutes = [
  {
    method: 'POST',
    template: '/v1/comments',
    handler: (ctx) => {
      const b: Untrusted<CreateCommentParameters> = ctx.body;
      const rich = content(ctx);
      let parent: CommentRec['parent'];
      let discussion: string;
      if (b.discussion_id !== undefined) {
        const d = normalizeId(b.discussion_id);
        const first = Object.values(ctx.ws.content.comments).find((c) => c.discussion_id === d);
        if (!d || !first) throw notFound(String(b.discussion_id), 'discussion');
        parent = first.parent;
        discussion = d;
      } else {
        if (!isObject(b.parent))
          throw validation(`body.parent should be an object, instead was ${describe(b.parent)}.`);
        const kind = b.parent.block_id !== undefined ? 'block_id' : 'page_id';
        const id = normalizeId(b.parent[kind]);
        if (!id)
          throw validation(`body.parent.${kind} should be a valid uuid, instead was ${describe(b.parent[kind])}.`);
        const exists = kind === 'page_id' ? ctx.ws.content.pages[id] : ctx.ws.content.blocks[id];
        if (!exists) throw notFound(id, kind === 'page_id' ? 'page' : 'block');
        parent = { type: kind, id };
        discussion = newId();
      }
      const t = tick();
      const c: CommentRec = {
        id: newId(),
        discussion_id: discussion,
        parent,
        rich_text: rich,
        created_time: t,
        last_edited_time: t,
        created_by: ctx.tok.botId,
      };
      ctx.ws.content.comments[c.id] = c;
      return commentJson(ctx.ws, c);
    },
  },
  {
    method: 'GET',
    template: '/v1/comments',
    handler: (ctx): ListCommentsResponse => {
      const raw = ctx.query.get('block_id');
      const id = normalizeId(raw);
      if (!id) throw validation(`block_id should be a valid uuid, instead was ${describe(raw ?? undefined)}.`);
      if (!ctx.ws.content.pages[id] && !ctx.ws.content.blocks[id]) throw notFound(id, 'block');
      const all = Object.values(ctx.ws.content.comments)
        .filter((c) => c.parent.id === id)
        .sort((a, b) => a.created_time.localeCompare(b.created_time));
      const page = paginate(all, (c) => c.id, ctx.query.get('start_cursor'), ctx.query.get('page_size'));
      return {
        object: 'list',
        results: page.results.map((c) => commentJson(ctx.ws, c)),
        next_cursor: page.next_cursor,
        has_more: page.has_more,
        type: 'comment',
        comment: {},
      };
    },
  },
  { method: 'GET', template: '/v1/comments/:comment_id', handler: (ctx) => commentJson(ctx.ws, requireComment(ctx)) },
  {
    method: 'PATCH',
    template: '/v1/comments/:comment_id',
    handler: (ctx) => {
      const c = requireComment(ctx);
      c.rich_text = content(ctx);
      c.last_edited_time = tick();
      return commentJson(ctx.ws, c);
    },
  },
  {
    method: 'DELETE',
    template: '/v1/comments/:comment_id',
    handler: (ctx) => {
      const c = requireComment(ctx);
      delete ctx.ws.content.comments[c.id];
      return commentJson(ctx.ws, c);
    },
  },
] as const satisfies readonly Route[];
