// Users: the workspace's people and bots. /users/me answers with the bot behind the calling token.
import { notFound, validation } from './errors.ts';
import type { Ctx, Route } from './router.ts';
import type { ListUsersResponse, PartialUserObjectResponse, UserObjectResponse } from './sdk.ts';
import type { TokenRec, UserRec, Workspace } from './store.ts';
import { normalizeId, paginate } from './util.ts';

/** The workspace person who installed an OAuth integration, as the bot's `owner` (users/me and the token response). */
export function userOwner(person: UserRec) {
  return {
    type: 'user',
    user: {
      object: 'user',
      id: person.id,
      name: person.name,
      avatar_url: null,
      type: 'person',
      person: { email: person.email },
    },
  } as const;
}

export function userJson(
  ws: Workspace,
  u: UserRec,
  self?: TokenRec,
  maxUploadBytes = 5_368_709_120,
): UserObjectResponse {
  const base = { object: 'user', id: u.id, name: u.name, avatar_url: u.avatar_url } as const;
  if (u.type === 'person') return { ...base, type: 'person', person: { email: u.email } };
  if (!self) return { ...base, type: 'bot', bot: {} };
  const person = ws.users.find((x) => x.type === 'person')!;
  const owner: BotOwner = self.kind === 'oauth' ? userOwner(person) : { type: 'workspace', workspace: true };
  return {
    ...base,
    type: 'bot',
    bot: {
      owner,
      workspace_name: ws.name,
      workspace_id: ws.id,
      workspace_limits: { max_file_upload_size_in_bytes: maxUploadBytes },
    },
  };
}

type BotOwner = Extract<Extract<UserObjectResponse, { type: 'bot' }>['bot'], { owner: unknown }>['owner'];

export const partialUser = (id: string): PartialUserObjectResponse => ({ object: 'user', id });

export function listUsersJson(ctx: Ctx): ListUsersResponse {
  const page = paginate(ctx.ws.users, (u) => u.id, ctx.query.get('start_cursor'), ctx.query.get('page_size'));
  return {
    object: 'list',
    results: page.results.map((u) => userJson(ctx.ws, u)),
    next_cursor: page.next_cursor,
    has_more: page.has_more,
    type: 'user',
    user: {},
  };
}

export const userRoutes = [
  {
    method: 'GET',
    template: '/v1/users/me',
    handler: (ctx: Ctx) => {
      const bot = ctx.ws.users.find((u) => u.id === ctx.tok.botId)!;
      return userJson(ctx.ws, bot, ctx.tok, ctx.store.maxFileUploadBytes);
    },
  },
  {
    method: 'GET',
    template: '/v1/users',
    handler: listUsersJson,
  },
  {
    method: 'GET',
    template: '/v1/users/:user_id',
    handler: (ctx: Ctx) => {
      const id = normalizeId(ctx.params.user_id);
      if (!id)
        throw validation(
          `path failed validation: path.user_id should be a valid uuid, instead was \`"${ctx.params.user_id}"\`.`,
        );
      const u = ctx.ws.users.find((x) => x.id === id);
      if (!u) throw notFound(ctx.params.user_id!, 'user');
      return userJson(ctx.ws, u, u.id === ctx.tok.botId ? ctx.tok : undefined, ctx.store.maxFileUploadBytes);
    },
  },
] as const satisfies readonly Route[];
