/**
 * The connection defined by NOTION_TOKEN (an internal-integration token), until the connection store takes over.
 * Its id is derived from a digest of the token, so it is stable across restarts and changes when the token does.
 */
import { createHash } from 'node:crypto';
import { GatewayError } from '../engine/errors.ts';
import type { ConnectionHandle, ConnectionRegistry, ConnectionSummary, Principal } from '../engine/ports.ts';

function uuidFromDigest(input: string): string {
  const h = createHash('sha256').update(`notion-gateway:connection:${input}`).digest('hex');
  // RFC 9562 version 8 (custom) UUID with the RFC variant bits.
  const variant = ((Number.parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export class EnvConnectionRegistry implements ConnectionRegistry {
  readonly #handle: ConnectionHandle | null;

  constructor(notionToken: string | null, startedAt = new Date()) {
    if (!notionToken) {
      this.#handle = null;
      return;
    }
    const summary: ConnectionSummary = {
      connection_id: uuidFromDigest(notionToken),
      kind: 'internal',
      workspace_id: null,
      workspace_name: null,
      workspace_icon: null,
      bot_id: null,
      owner: 'operator',
      created_at: startedAt.toISOString(),
      updated_at: startedAt.toISOString(),
    };
    this.#handle = { summary, accessToken: async () => notionToken };
  }

  async list(_principal: Principal): Promise<ConnectionSummary[]> {
    return this.#handle ? [this.#handle.summary] : [];
  }

  async resolve(_principal: Principal, connectionId?: string | null): Promise<ConnectionHandle> {
    if (!this.#handle) {
      throw new GatewayError(
        'connection_required',
        'No Notion connection is configured. Set NOTION_TOKEN to an internal-integration token.',
        { available: [] },
      );
    }
    if (connectionId && connectionId !== this.#handle.summary.connection_id) {
      throw new GatewayError('connection_not_found', `No connection with id ${connectionId}. Call connections_list.`, {
        connection_id: connectionId,
      });
    }
    return this.#handle;
  }
}
