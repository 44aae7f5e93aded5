/**
 * Connections: the ConnectionRegistry the engine resolves every call through, plus the operations that create,
 * refresh and remove them. Tokens are encrypted at rest (src/security) with the row id as associated data;
 * `ConnectionHandle.accessToken()` is the only way a token leaves this module.
 */
import { randomUUID } from 'node:crypto';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { Logger } from 'pino';
import {
  type BotIdentity,
  fetchBotIdentity,
  type NotionApiOptions,
  type OAuthClientCredentials,
  type OAuthGrant,
  refreshGrant,
  revokeToken,
} from '../notion/connection-api.ts';
import { DecryptionError, type TokenCipher } from '../security/token-cipher.ts';
import { GatewayError } from '../shared/errors.ts';
import { normaliseUuid } from '../shared/ids.ts';
import type { NotionCallMetrics } from '../shared/metrics.ts';
import { grantAllows, OPERATOR, type Principal } from '../shared/principal.ts';
import type { ConnectionRow, ConnectionRows } from '../store/repositories.ts';
import type { Store } from '../store/store.ts';
import { cachedConnectionRows } from './connection-cache.ts';
import type {
  ConnectionHandle,
  ConnectionRegistry,
  ConnectionSummary,
  RemovedConnection,
  SavedConnection,
} from './connection-types.ts';

export interface ConnectionServiceOptions {
  store: Store;
  cipher: TokenCipher;
  /** Notion API origin (default https://api.notion.com); the sandbox URL in tests. */
  notionBaseUrl?: string;
  notionTimeoutMs?: number;
  /** Counts the token checks and refreshes among the gateway's Notion requests. */
  notionMetrics?: NotionCallMetrics;
  /** DEFAULT_CONNECTION_ID: used by resolve() when no id is given and the principal has several connections. */
  defaultConnectionId?: string | null;
  /** Notion public-integration credentials: needed to refresh OAuth connections and to revoke remotely. */
  oauthClient?: OAuthClientCredentials | null;
  /** Refresh an OAuth access token this long before `token_expires_at` (default 5 minutes). */
  refreshSkewMs?: number;
  logger?: Logger;
  /** How long resolved connections are read from memory (CONNECTION_CACHE_TTL_MS; 0: always from the store). */
  cacheTtlMs?: number;
  /** Clock (tests). */
  now?: () => Date;
}

export interface ConnectionService extends ConnectionRegistry {
  /** One live connection of the principal, or `connection_not_found`. */
  get(principal: Principal, connectionId: string): Promise<ConnectionSummary>;
  /** Verifies an internal-integration token with users.me, then stores it (same workspace + bot → update). */
  createInternal(principal: Principal, token: string): Promise<SavedConnection>;
  /** Stores the result of an OAuth code exchange (same owner + workspace + bot → update). */
  upsertOAuth(principal: Principal, grant: OAuthGrant): Promise<SavedConnection>;
  /** Soft delete (tokens wiped). `remote: true` also revokes an OAuth token at Notion first. */
  remove(principal: Principal, connectionId: string, options?: { remote?: boolean }): Promise<RemovedConnection>;
  /** OAuth: refresh_token grant, stores the new pair. Internal: re-verifies the token with users.me. */
  refresh(principal: Principal, connectionId: string): Promise<ConnectionSummary>;
  /** NOTION_TOKEN at boot: no network call and no duplicate when the same token is already stored. */
  seedFromEnv(token: string): Promise<SavedConnection>;
}

export const toSummary = (row: ConnectionRow): ConnectionSummary => ({
  connection_id: row.id,
  kind: row.kind,
  workspace_id: row.workspace_id ?? null,
  workspace_name: row.workspace_name ?? null,
  workspace_icon: row.workspace_icon ?? null,
  bot_id: row.bot_id ?? null,
  owner: row.owner,
  created_at: row.created_at.toISOString(),
  updated_at: row.updated_at.toISOString(),
});

/** Connection ids are UUIDs; accept them without dashes too, as Notion ids are. */
export const normalizeConnectionId = (id: string): string | null => normaliseUuid(id.trim());

export function createConnectionService(options: ConnectionServiceOptions): ConnectionService {
  const { store, cipher } = options;
  const log = options.logger?.child({ component: 'connections' });
  const now = options.now ?? (() => new Date());
  const skew = options.refreshSkewMs ?? 5 * 60_000;
  const api: NotionApiOptions = {
    baseUrl: options.notionBaseUrl,
    timeoutMs: options.notionTimeoutMs,
    logger: options.logger,
    metrics: options.notionMetrics,
  };
  /** One refresh in flight per connection in this process. */
  const inflight = new Map<string, Promise<string>>();
  /** Reads through a short cache (src/domain/connection-cache.ts); refresh races read `store.connections` directly. */
  const rows = cachedConnectionRows(store.connections, options.cacheTtlMs ?? 0);
  /** Decrypted access tokens by ciphertext: a token is decrypted once per version, not once per call. */
  const decrypted = new Map<string, string>();
  const decryptAccess = (row: ConnectionRow): string => {
    const memo = decrypted.get(row.access_token_enc);
    if (memo !== undefined) return memo;
    const token = cipher.decrypt(row.access_token_enc, row.id, 'access_token');
    if (decrypted.size >= 1_000) decrypted.clear();
    decrypted.set(row.access_token_enc, token);
    return token;
  };

  /** Like connection_required, the answer lists the connections the caller can use instead (`live`: theirs only). */
  const notFound = (id: string, live: ConnectionRow[] = []) => {
    const connections = live.map((r) => ({ connection_id: r.id, workspace_name: r.workspace_name ?? null }));
    const named = connections.map((c) => `${c.connection_id}${c.workspace_name ? ` "${c.workspace_name}"` : ''}`);
    const instead = named.length
      ? `Available: ${named.join(', ')}.`
      : 'No Notion connection exists yet: connect a workspace first.';
    const message = `No connection ${JSON.stringify(id)} (unknown or deleted). ${instead}`;
    return new GatewayError('connection_not_found', message, { connection_id: id, connections });
  };

  /** The principal's live connections its grant allows (all of them without a grant). */
  const usable = async (principal: Principal, source: Pick<ConnectionRows, 'listLive'> = rows) =>
    (await source.listLive(principal.id)).filter((r) => grantAllows(principal, r.id));

  /**
   * A connection that exists but is not the caller's to use (another owner's, or outside its OAuth grant):
   * `connection_forbidden`, listing the ones it may use. Unknown or deleted ids stay `connection_not_found`.
   */
  const forbidden = (id: string, live: ConnectionRow[]) => {
    const connections = live.map((r) => ({ connection_id: r.id, workspace_name: r.workspace_name ?? null }));
    const named = connections.map((c) => `${c.connection_id}${c.workspace_name ? ` "${c.workspace_name}"` : ''}`);
    return new GatewayError(
      'connection_forbidden',
      `Connection ${JSON.stringify(id)} is not one this sign-in may use. ${
        named.length ? `Use one of: ${named.join(', ')}.` : 'No connection was granted: sign in again and pick one.'
      }`,
      { connection_id: id, connections },
    );
  };

  async function findOwned(principal: Principal, connectionId: string): Promise<ConnectionRow> {
    const id = normalizeConnectionId(connectionId);
    if (!id) throw notFound(connectionId, await usable(principal, store.connections));
    const row = await rows.find(id);
    if (!row) throw notFound(connectionId, await usable(principal, store.connections));
    if (row.owner !== principal.id || !grantAllows(principal, row.id)) {
      throw forbidden(connectionId, await usable(principal, store.connections));
    }
    return row;
  }

  function requireOAuthClient(): OAuthClientCredentials {
    if (!options.oauthClient) {
      throw new GatewayError(
        'oauth_not_configured',
        'Notion OAuth is not configured: set NOTION_OAUTH_CLIENT_ID and NOTION_OAUTH_CLIENT_SECRET.',
      );
    }
    return options.oauthClient;
  }

  /** Writes a new token set on a row (encrypted with that row's id as associated data). */
  const encryptedTokens = (id: string, access: string, refresh: string | null) => ({
    access_token_enc: cipher.encrypt(access, id, 'access_token'),
    refresh_token_enc: refresh === null ? null : cipher.encrypt(refresh, id, 'refresh_token'),
    key_id: cipher.currentKeyId,
  });

  async function upsert(
    owner: string,
    kind: ConnectionRow['kind'],
    identity: BotIdentity,
    access: string,
    refresh: string | null,
    expiresAt: Date | null,
  ): Promise<SavedConnection> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const existing = await rows.findLiveByIdentity(owner, identity.workspace_id, identity.bot_id);
      if (existing) {
        const updated = await rows.update(existing.id, {
          kind,
          workspace_name: identity.workspace_name ?? existing.workspace_name,
          workspace_icon: identity.workspace_icon ?? existing.workspace_icon,
          token_expires_at: expiresAt,
          ...encryptedTokens(existing.id, access, refresh),
        });
        if (updated) {
          log?.info({ connection_id: updated.id, kind, workspace_id: updated.workspace_id }, 'connection updated');
          return { connection: toSummary(updated), created: false };
        }
        continue; // deleted meanwhile: try again
      }
      const id = randomUUID();
      try {
        const row = await rows.insert({
          id,
          kind,
          owner,
          workspace_id: identity.workspace_id,
          workspace_name: identity.workspace_name,
          workspace_icon: identity.workspace_icon,
          bot_id: identity.bot_id,
          token_expires_at: expiresAt,
          ...encryptedTokens(id, access, refresh),
        });
        log?.info({ connection_id: row.id, kind, workspace_id: row.workspace_id }, 'connection created');
        return { connection: toSummary(row), created: true };
      } catch (e) {
        if (!(e instanceof UniqueConstraintViolationException)) throw e;
        // A concurrent create for the same identity won: loop and update that one.
      }
    }
    throw new GatewayError('internal_error', 'Could not store the connection (concurrent updates); try again.');
  }

  /** Refreshes an OAuth row's tokens (single flight per connection), returning the new access token. */
  async function refreshOAuthRow(row: ConnectionRow): Promise<string> {
    const running = inflight.get(row.id);
    if (running) return running;
    const p = (async () => {
      if (!row.refresh_token_enc) {
        throw new GatewayError('connection_invalid', 'This OAuth connection has no refresh token: reconnect it.', {
          connection_id: row.id,
        });
      }
      const client = requireOAuthClient();
      const refreshToken = cipher.decrypt(row.refresh_token_enc, row.id, 'refresh_token');
      let grant: OAuthGrant;
      try {
        grant = await refreshGrant(refreshToken, client, api, now());
      } catch (e) {
        // Another process may have refreshed first (refresh tokens are single use): use what it stored.
        const fresh = await store.connections.find(row.id);
        if (fresh && fresh.access_token_enc !== row.access_token_enc) {
          return cipher.decrypt(fresh.access_token_enc, fresh.id, 'access_token');
        }
        throw e;
      }
      const won = await rows.updateIfToken(row.id, row.access_token_enc, {
        token_expires_at: grant.expires_at,
        workspace_name: grant.workspace_name ?? row.workspace_name,
        workspace_icon: grant.workspace_icon ?? row.workspace_icon,
        ...encryptedTokens(row.id, grant.access_token, grant.refresh_token ?? refreshToken),
      });
      if (!won) {
        const fresh = await store.connections.find(row.id);
        if (!fresh) throw notFound(row.id);
        return cipher.decrypt(fresh.access_token_enc, fresh.id, 'access_token');
      }
      log?.info({ connection_id: row.id }, 'oauth token refreshed');
      return grant.access_token;
    })();
    inflight.set(row.id, p);
    try {
      return await p;
    } finally {
      inflight.delete(row.id);
    }
  }

  const needsRefresh = (row: ConnectionRow) =>
    row.kind === 'oauth' &&
    row.token_expires_at != null &&
    row.refresh_token_enc != null &&
    row.token_expires_at.getTime() - now().getTime() <= skew;

  function handle(row: ConnectionRow): ConnectionHandle {
    return {
      summary: toSummary(row),
      async accessToken() {
        const current = await rows.find(row.id);
        if (!current) throw notFound(row.id);
        if (needsRefresh(current)) return refreshOAuthRow(current);
        try {
          return decryptAccess(current);
        } catch (e) {
          if (!(e instanceof DecryptionError)) throw e;
          log?.error({ connection_id: current.id, key_id: e.keyId }, 'stored token does not decrypt');
          throw new GatewayError(
            'connection_invalid',
            'The stored token of this connection cannot be decrypted (damaged, or the key changed): reconnect it.',
            { connection_id: current.id },
          );
        }
      },
    };
  }

  const service: ConnectionService = {
    async list(principal) {
      return (await usable(principal)).map(toSummary);
    },

    async resolve(principal, connectionId) {
      if (connectionId !== undefined && connectionId !== null && connectionId !== '') {
        return handle(await findOwned(principal, connectionId));
      }
      // Within an OAuth grant of one connection, connection_id is optional.
      const live = await usable(principal);
      if (live.length === 1) return handle(live[0]!);
      const def = options.defaultConnectionId ? normalizeConnectionId(options.defaultConnectionId) : null;
      const byDefault = def ? live.find((r) => r.id === def) : undefined;
      if (byDefault) return handle(byDefault);
      const available = live.map((r) => ({ connection_id: r.id, workspace_name: r.workspace_name ?? null }));
      throw new GatewayError(
        'connection_required',
        live.length === 0
          ? 'No Notion connection yet: connect a workspace first (OAuth, or an internal integration token).'
          : `Several Notion connections are available: pass connection_id (one of ${available
              .map((a) => `${a.connection_id}${a.workspace_name ? ` "${a.workspace_name}"` : ''}`)
              .join(', ')}).`,
        { connections: available },
      );
    },

    async get(principal, connectionId) {
      return toSummary(await findOwned(principal, connectionId));
    },

    async createInternal(principal, token) {
      if (typeof token !== 'string' || token.trim() === '') {
        throw new GatewayError('bad_request', 'token must be a non-empty string.');
      }
      const identity = await fetchBotIdentity(token.trim(), api);
      return upsert(principal.id, 'internal', identity, token.trim(), null, null);
    },

    async upsertOAuth(principal, grant) {
      return upsert(principal.id, 'oauth', grant, grant.access_token, grant.refresh_token, grant.expires_at);
    },

    async remove(principal, connectionId, opts = {}) {
      const row = await findOwned(principal, connectionId);
      let revoked = false;
      if (opts.remote && row.kind === 'oauth') {
        const client = requireOAuthClient();
        await revokeToken(cipher.decrypt(row.access_token_enc, row.id, 'access_token'), client, api);
        revoked = true;
      }
      if (!(await rows.softDelete(row.id))) throw notFound(connectionId);
      log?.info({ connection_id: row.id, revoked }, 'connection removed');
      return { connection_id: row.id, deleted: true, revoked };
    },

    async refresh(principal, connectionId) {
      const row = await findOwned(principal, connectionId);
      if (row.kind === 'oauth') {
        await refreshOAuthRow(row);
      } else {
        const identity = await fetchBotIdentity(cipher.decrypt(row.access_token_enc, row.id, 'access_token'), api);
        await rows.update(row.id, {
          workspace_name: identity.workspace_name ?? row.workspace_name,
          workspace_id: row.workspace_id ?? identity.workspace_id,
        });
      }
      const fresh = await store.connections.find(row.id);
      if (!fresh) throw notFound(connectionId);
      return toSummary(fresh);
    },

    async seedFromEnv(token) {
      const t = token.trim();
      for (const row of await store.connections.listLive(OPERATOR.id)) {
        if (row.kind !== 'internal') continue;
        let stored: string;
        try {
          stored = cipher.decrypt(row.access_token_enc, row.id, 'access_token');
        } catch (e) {
          if (!(e instanceof DecryptionError)) throw e;
          log?.warn({ connection_id: row.id }, 'skipping a connection whose stored token does not decrypt');
          continue;
        }
        if (stored === t) return { connection: toSummary(row), created: false };
      }
      return service.createInternal(OPERATOR, t);
    },
  };
  return service;
}
