/**
 * The few Notion calls the connection layer makes itself (users.me, oauth.token/revoke), on short-lived SDK
 * clients from the shared factory in src/notion/client.ts.
 */
import { APIResponseError, type Client, type OauthTokenResponse } from '@notionhq/client';
import type { Logger } from 'pino';
import { GatewayError } from '../shared/errors.ts';
import type { NotionCallMetrics } from '../shared/metrics.ts';
import { createNotionClient } from './client.ts';
import { toGatewayError } from './errors.ts';

export const DEFAULT_NOTION_BASE_URL = 'https://api.notion.com';

export interface NotionApiOptions {
  baseUrl?: string;
  timeoutMs?: number;
  logger?: Logger;
  metrics?: NotionCallMetrics;
}

export interface OAuthClientCredentials {
  clientId: string;
  clientSecret: string;
}

export interface BotIdentity {
  bot_id: string;
  workspace_id: string | null;
  workspace_name: string | null;
  workspace_icon: string | null;
}

/** An OAuth token response, normalised (`expires_in` is not documented by Notion but honoured when sent). */
export interface OAuthGrant extends BotIdentity {
  access_token: string;
  refresh_token: string | null;
  expires_at: Date | null;
  /** The Notion user who authorized (`owner.user.id`), when Notion says: who signs in through "Connect Notion". */
  owner_user_id?: string | null;
}

export const makeClient = (auth: string | undefined, options: NotionApiOptions): Client =>
  createNotionClient(auth, {
    baseUrl: options.baseUrl ?? DEFAULT_NOTION_BASE_URL,
    timeoutMs: options.timeoutMs ?? 30_000,
    logger: options.logger,
    metrics: options.metrics,
  });

const errorCode = (e: unknown): string | undefined =>
  e instanceof APIResponseError
    ? e.code
    : ((e as { body?: string })?.body && safeJson((e as { body: string }).body)?.error) || undefined;

const safeJson = (s: string): Record<string, string> | undefined => {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
};

/** users.me for an integration token: who the bot is and which workspace it belongs to. */
export async function fetchBotIdentity(token: string, options: NotionApiOptions): Promise<BotIdentity> {
  let me: Awaited<ReturnType<Client['users']['me']>>;
  try {
    me = await makeClient(token, options).users.me({});
  } catch (e) {
    if (e instanceof APIResponseError && (e.status === 401 || e.status === 403)) {
      throw new GatewayError('connection_invalid', 'Notion rejected this token (users.me answered unauthorized).', {
        notion_code: e.code,
        notion_status: e.status,
      });
    }
    throw toGatewayError(e) ?? e;
  }
  if (me.type !== 'bot') {
    throw new GatewayError(
      'connection_invalid',
      'This token does not belong to an integration (users.me is not a bot).',
    );
  }
  const bot = (me.bot ?? {}) as { workspace_name?: string | null; workspace_id?: string | null };
  return {
    bot_id: me.id,
    workspace_id: bot.workspace_id ?? null,
    workspace_name: bot.workspace_name ?? null,
    workspace_icon: null,
  };
}

const toGrant = (r: OauthTokenResponse, now: Date): OAuthGrant => {
  const expiresIn = (r as { expires_in?: unknown }).expires_in;
  return {
    access_token: r.access_token,
    refresh_token: r.refresh_token ?? null,
    expires_at: typeof expiresIn === 'number' && expiresIn > 0 ? new Date(now.getTime() + expiresIn * 1000) : null,
    bot_id: r.bot_id,
    workspace_id: r.workspace_id ?? null,
    workspace_name: r.workspace_name ?? null,
    workspace_icon: r.workspace_icon ?? null,
    owner_user_id: r.owner?.type === 'user' ? ((r.owner as { user?: { id?: string } }).user?.id ?? null) : null,
  };
};

type GrantRequest =
  | { grant_type: 'authorization_code'; code: string; redirect_uri: string }
  | { grant_type: 'refresh_token'; refresh_token: string };

/** POST /v1/oauth/token with the integration's credentials. */
async function requestGrant(
  grant: GrantRequest,
  client: OAuthClientCredentials,
  options: NotionApiOptions,
  now: Date,
): Promise<OAuthGrant> {
  const r = await makeClient(undefined, options).oauth.token({
    ...grant,
    client_id: client.clientId,
    client_secret: client.clientSecret,
  });
  return toGrant(r, now);
}

/** Exchanges an authorization code. Notion refusals → `oauth_failed` with Notion's code. */
export async function exchangeCode(
  code: string,
  redirectUri: string,
  client: OAuthClientCredentials,
  options: NotionApiOptions,
  now = new Date(),
): Promise<OAuthGrant> {
  try {
    return await requestGrant(
      { grant_type: 'authorization_code', code, redirect_uri: redirectUri },
      client,
      options,
      now,
    );
  } catch (e) {
    throw oauthFailure('Notion refused the authorization code exchange', e);
  }
}

/** refresh_token grant. `invalid_grant` → `connection_invalid` (the user must reconnect). */
export async function refreshGrant(
  refreshToken: string,
  client: OAuthClientCredentials,
  options: NotionApiOptions,
  now = new Date(),
): Promise<OAuthGrant> {
  try {
    return await requestGrant({ grant_type: 'refresh_token', refresh_token: refreshToken }, client, options, now);
  } catch (e) {
    if (errorCode(e) === 'invalid_grant') {
      throw new GatewayError(
        'connection_invalid',
        'Notion rejected the refresh token (used, revoked or expired): reconnect this workspace.',
        { notion_code: 'invalid_grant' },
      );
    }
    throw oauthFailure('Notion refused the token refresh', e);
  }
}

export async function revokeToken(
  token: string,
  client: OAuthClientCredentials,
  options: NotionApiOptions,
): Promise<void> {
  try {
    await makeClient(undefined, options).oauth.revoke({
      token,
      client_id: client.clientId,
      client_secret: client.clientSecret,
    });
  } catch (e) {
    throw oauthFailure('Notion refused to revoke the token', e);
  }
}

function oauthFailure(what: string, e: unknown): GatewayError {
  const mapped = toGatewayError(e);
  if (mapped?.code === 'notion_unreachable') return mapped;
  const code = errorCode(e);
  const status = (e as { status?: number })?.status;
  return new GatewayError('oauth_failed', `${what}${code ? ` (${code})` : ''}.`, {
    ...(code ? { notion_code: code } : {}),
    ...(typeof status === 'number' ? { notion_status: status } : {}),
  });
}
