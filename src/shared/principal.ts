/**
 * Who is calling: the operator (ACTION_API_TOKEN, or nobody under MCP_AUTH=none) or a user signed in through the
 * OAuth 2.1 authorization server (src/auth). A user's access token carries its grant: the connections it may touch.
 */
export interface Principal {
  id: string;
  kind: 'operator' | 'user';
  /**
   * The connections this caller may use, when a grant limits them (OAuth access tokens); absent: every connection
   * the principal owns. Connection resolution (src/domain/connections.ts) enforces it, never an adapter.
   */
  connections?: readonly string[];
  /** OAuth: the grant and client the access token was issued for, and its scopes. */
  grantId?: string;
  clientId?: string;
  scopes?: readonly string[];
}

export const OPERATOR: Principal = Object.freeze({ id: 'operator', kind: 'operator' });

/** Whether a principal's grant lets it use a connection (owned by it, and within the grant when there is one). */
export const grantAllows = (principal: Principal, connectionId: string): boolean =>
  principal.connections === undefined || principal.connections.includes(connectionId);
