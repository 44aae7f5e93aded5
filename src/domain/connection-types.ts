/**
 * What a connection is, as the engine and every surface see it: the domain's contract with the layers above.
 * src/domain/connections.ts implements the registry over the store.
 */
import type { Principal } from '../shared/principal.ts';

/** A connection as every surface may show it: never a token. */
export interface ConnectionSummary {
  connection_id: string;
  kind: 'internal' | 'oauth';
  workspace_id: string | null;
  workspace_name: string | null;
  workspace_icon: string | null;
  bot_id: string | null;
  owner: string;
  created_at: string;
  updated_at: string;
}

/** A resolved connection. `accessToken()` is the only way a token leaves the store: never log what it returns. */
export interface ConnectionHandle {
  summary: ConnectionSummary;
  accessToken(): Promise<string>;
}

export interface SavedConnection {
  connection: ConnectionSummary;
  /** false when an existing connection (same owner, workspace and bot) was updated instead of duplicated. */
  created: boolean;
}

export interface RemovedConnection {
  connection_id: string;
  deleted: true;
  /** true when the token was revoked at Notion (remote: true on an OAuth connection). */
  revoked: boolean;
}

export interface ConnectionRegistry {
  /** Connections the principal may use. */
  list(principal: Principal): Promise<ConnectionSummary[]>;
  /**
   * Resolution rule for every engine call: explicit id → else the only connection → else DEFAULT_CONNECTION_ID →
   * else GatewayError('connection_required') listing the available ids. Unknown or deleted id → 'connection_not_found'.
   */
  resolve(principal: Principal, connectionId?: string | null): Promise<ConnectionHandle>;
  /** Verifies an internal-integration token with Notion (users.me), then stores it. */
  createInternal(principal: Principal, token: string): Promise<SavedConnection>;
  /** OAuth: refresh-token grant. Internal: re-verifies the token. */
  refresh(principal: Principal, connectionId: string): Promise<ConnectionSummary>;
  /** Soft delete, tokens wiped; `remote` also revokes an OAuth token at Notion. */
  remove(principal: Principal, connectionId: string, options?: { remote?: boolean }): Promise<RemovedConnection>;
}
