/**
 * The only place that constructs `@notionhq/client` Clients. One Client per (connection, Notion-Version), cached:
 * the SDK's own retry (429/529 always, 500/503 on GET/DELETE, honouring Retry-After) is configured here, not rewritten.
 */
import { createHash } from 'node:crypto';
import { Client, LogLevel } from '@notionhq/client';
import type { Logger } from 'pino';
import type { ConnectionHandle } from '../engine/ports.ts';

export interface NotionClientOptions {
  /** Origin of the Notion API (the SDK appends /v1). https://api.notion.com, or the sandbox in tests. */
  baseUrl: string;
  timeoutMs: number;
  maxRetries: number;
  logger: Logger;
}

export class NotionClients {
  readonly #options: NotionClientOptions;
  readonly #cache = new Map<string, Client>();

  constructor(options: NotionClientOptions) {
    this.#options = options;
  }

  /** A Client for the connection. A token change (refresh, rotation) yields a new Client, never a stale one. */
  async for(connection: ConnectionHandle, notionVersion?: string): Promise<Client> {
    const token = await connection.accessToken();
    // The cache key holds a digest of the token, never the token itself.
    const fingerprint = createHash('sha256').update(token).digest('base64url').slice(0, 16);
    const key = `${connection.summary.connection_id}:${fingerprint}:${notionVersion ?? 'default'}`;
    let client = this.#cache.get(key);
    if (!client) {
      for (const old of this.#cache.keys()) {
        if (old.startsWith(`${connection.summary.connection_id}:`) && !old.includes(fingerprint))
          this.#cache.delete(old);
      }
      client = this.create(token, notionVersion);
      this.#cache.set(key, client);
    }
    return client;
  }

  create(token: string, notionVersion?: string): Client {
    return createNotionClient(token, { ...this.#options, notionVersion });
  }
}

/**
 * One configured SDK Client. `auth` is omitted for the OAuth routes (they authenticate with the client id and secret).
 * At WARN the SDK logs method, path, Notion's error code and request id: never headers or bodies (those only at
 * DEBUG, which this level never emits), so no token or OAuth secret reaches the log.
 */
export function createNotionClient(
  auth: string | undefined,
  options: { baseUrl: string; timeoutMs: number; maxRetries?: number; logger?: Logger; notionVersion?: string },
): Client {
  const log = options.logger?.child({ component: 'notion-sdk' });
  return new Client({
    auth,
    baseUrl: options.baseUrl,
    timeoutMs: options.timeoutMs,
    notionVersion: options.notionVersion,
    retry: options.maxRetries === undefined ? undefined : { maxRetries: options.maxRetries },
    logLevel: LogLevel.WARN,
    logger: (level, message, extraInfo) => log?.[level === LogLevel.ERROR ? 'error' : 'warn']({ extraInfo }, message),
  });
}

/** Notion-Version the gateway speaks by default. */
export const NOTION_API_VERSION = Client.defaultNotionVersion;
