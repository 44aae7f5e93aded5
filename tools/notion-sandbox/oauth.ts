// Notion's public-integration OAuth flow. GET /v1/oauth/authorize stands in for the consent page and
// auto-approves; token / refresh / revoke / introspect authenticate the client with HTTP Basic auth.
import { randomBytes } from 'node:crypto';
import { NotionError, validation } from './errors.ts';
import { type Ctx, RawResponse, type Route } from './router.ts';
import type {
  OauthIntrospectParameters,
  OauthIntrospectResponse,
  OauthRevokeParameters,
  OauthRevokeResponse,
  OauthTokenParameters,
  OauthTokenResponse,
  Untrusted,
} from './sdk.ts';
import type { Store } from './store.ts';
import { userOwner } from './users.ts';
import { describe, newId } from './util.ts';

export interface OAuthClient {
  clientId: string;
  clientSecret: string;
}

const oauthError = (status: number, code: string, message: string): NotionError =>
  // Notion-shaped, plus the RFC 6749 fields so generic OAuth clients understand it too.
  new NotionError(status, code, message, {}, { error: code, error_description: message });

const secret = (prefix: string): string => `${prefix}${randomBytes(24).toString('hex')}`;

function checkClient(ctx: Ctx, client: OAuthClient): void {
  const h = ctx.headers.authorization;
  const header = Array.isArray(h) ? h[0] : h;
  const m = header ? /^Basic\s+(.+)$/i.exec(header) : null;
  if (!m) throw oauthError(401, 'invalid_client', 'Client authentication failed: missing HTTP Basic credentials.');
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  const id = decoded.slice(0, i);
  const sec = decoded.slice(i + 1);
  if (i < 0 || id !== client.clientId || sec !== client.clientSecret)
    throw oauthError(401, 'invalid_client', 'Client authentication failed: unknown client_id or wrong client_secret.');
}

export function issueTokens(store: Store, workspaceId: string, clientId: string): OauthTokenResponse {
  const ws = store.state.workspaces[workspaceId]!;
  const key = `${clientId}:${workspaceId}`;
  let botId = store.state.oauthBots[key];
  if (!botId) {
    botId = newId();
    store.state.oauthBots[key] = botId;
    ws.users.push({ id: botId, type: 'bot', name: 'Sandbox Public Integration', avatar_url: null });
  }
  const access = secret('ntn_oauth_');
  const refresh = secret('nrt_');
  store.addToken(access, { workspaceId, botId, kind: 'oauth', clientId });
  store.state.refreshTokens[refresh] = access;
  const person = store.firstPerson(ws);
  return {
    access_token: access,
    token_type: 'bearer',
    refresh_token: refresh,
    bot_id: botId,
    workspace_id: ws.id,
    workspace_name: ws.name,
    workspace_icon: ws.icon,
    owner: userOwner(person),
    duplicated_template_id: null,
  };
}

export function oauthRoutes(client: OAuthClient) {
  return [
    {
      method: 'GET',
      template: '/v1/oauth/authorize',
      auth: 'none',
      version: false,
      handler: (ctx) => {
        const q = ctx.query;
        if (q.get('client_id') !== client.clientId)
          throw oauthError(400, 'invalid_client', `Unknown client_id ${describe(q.get('client_id') ?? undefined)}.`);
        const redirect = q.get('redirect_uri');
        if (!redirect) throw validation('redirect_uri should be defined, instead was `undefined`.');
        let target: URL;
        try {
          target = new URL(redirect);
        } catch {
          throw validation(`redirect_uri should be an absolute URL, instead was ${describe(redirect)}.`);
        }
        if (q.get('response_type') !== 'code')
          throw validation(
            `response_type should be \`"code"\`, instead was ${describe(q.get('response_type') ?? undefined)}.`,
          );
        const state = q.get('state');
        if (q.get('sandbox_deny') === '1') {
          target.searchParams.set('error', 'access_denied');
        } else {
          const wsParam = q.get('sandbox_workspace');
          const wsId = wsParam ?? Object.keys(ctx.store.state.workspaces)[0]!;
          if (!ctx.store.state.workspaces[wsId])
            throw validation(`sandbox_workspace ${describe(wsParam)} is not a workspace of this sandbox.`);
          const code = secret('code_');
          ctx.store.state.codes[code] = {
            workspaceId: wsId,
            clientId: client.clientId,
            redirectUri: redirect,
            used: false,
          };
          target.searchParams.set('code', code);
        }
        if (state !== null) target.searchParams.set('state', state);
        return new RawResponse(302, { location: target.toString() });
      },
    },
    {
      method: 'POST',
      template: '/v1/oauth/token',
      auth: 'basic',
      version: false,
      handler: (ctx): OauthTokenResponse => {
        checkClient(ctx, client);
        const b: Untrusted<OauthTokenParameters> = ctx.body;
        if (b.grant_type === 'authorization_code') {
          const grant = typeof b.code === 'string' ? ctx.store.state.codes[b.code] : undefined;
          if (!grant || grant.used || grant.clientId !== client.clientId)
            throw oauthError(
              400,
              'invalid_grant',
              'Invalid code: this code has expired, was already used or does not exist.',
            );
          if (grant.redirectUri !== undefined && b.redirect_uri !== grant.redirectUri)
            throw oauthError(
              400,
              'invalid_grant',
              'Invalid redirect_uri: it does not match the one used to authorize.',
            );
          grant.used = true;
          return { ...issueTokens(ctx.store, grant.workspaceId, client.clientId), request_id: ctx.requestId };
        }
        if (b.grant_type === 'refresh_token') {
          const access =
            typeof b.refresh_token === 'string' ? ctx.store.state.refreshTokens[b.refresh_token] : undefined;
          const tok = access ? ctx.store.state.tokens[access] : undefined;
          if (!access || !tok || tok.clientId !== client.clientId)
            throw oauthError(
              400,
              'invalid_grant',
              'Invalid refresh_token: it was already used, revoked or does not exist.',
            );
          delete ctx.store.state.refreshTokens[b.refresh_token as string];
          return { ...issueTokens(ctx.store, tok.workspaceId, client.clientId), request_id: ctx.requestId };
        }
        throw oauthError(400, 'unsupported_grant_type', `grant_type ${describe(b.grant_type)} is not supported.`);
      },
    },
    {
      method: 'POST',
      template: '/v1/oauth/revoke',
      auth: 'basic',
      version: false,
      handler: (ctx): OauthRevokeResponse => {
        checkClient(ctx, client);
        const b: Untrusted<OauthRevokeParameters> = ctx.body;
        const token = b.token;
        if (typeof token !== 'string')
          throw validation(`body.token should be a string, instead was ${describe(token)}.`);
        const tok = ctx.store.state.tokens[token];
        if (tok && tok.clientId === client.clientId) {
          delete ctx.store.state.tokens[token];
          for (const [r, a] of Object.entries(ctx.store.state.refreshTokens))
            if (a === token) delete ctx.store.state.refreshTokens[r];
        }
        return { request_id: ctx.requestId };
      },
    },
    {
      method: 'POST',
      template: '/v1/oauth/introspect',
      auth: 'basic',
      version: false,
      handler: (ctx): OauthIntrospectResponse => {
        checkClient(ctx, client);
        const b: Untrusted<OauthIntrospectParameters> = ctx.body;
        const token = b.token;
        if (typeof token !== 'string')
          throw validation(`body.token should be a string, instead was ${describe(token)}.`);
        const tok = ctx.store.state.tokens[token];
        if (!tok || tok.clientId !== client.clientId) return { active: false, request_id: ctx.requestId };
        return {
          active: true,
          scope: 'read_content update_content insert_content read_comments insert_comments read_user',
          iat: tok.iat,
          request_id: ctx.requestId,
        };
      },
    },
  ] as const satisfies readonly Route[];
}
