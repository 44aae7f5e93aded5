/**
 * The only place that constructs `@notionhq/client` Clients. One Client per (connection, token, Notion-Version),
 * cached. The SDK's own retry (429/529 always, 500/503 on GET and DELETE — a DELETE's 5xx never reaches it: the call
 * policy answers a write's 5xx itself; Retry-After honoured) is configured here, not rewritten; what it lacks (pacing, read retries on other failures, no blind re-send of writes) is the call policy's
 * `fetch` it is given (src/notion/call-policy.ts).
 */
import { createHash } from 'node:crypto';
import { Client, LogLevel } from '@notionhq/client';
import type { Logger } from 'pino';
import type { NotionCallMetrics } from '../shared/metrics.ts';
import { createPolicyFetch } from './call-policy.ts';
import { type Pacer, UNPACED } from './pacer.ts';
import { assertPlausibleNotionToken } from './token.ts';

export interface NotionClientOptions {
  /** Origin of the Notion API (the SDK appends /v1). https://api.notion.com, or the sandbox in tests. */
  baseUrl: string;
  /** Per attempt. */
  timeoutMs: number;
  maxRetries: number;
  /** First back-off of a retry without Retry-After (NOTION_RETRY_BASE_MS); default 250 ms. */
  retryBaseMs?: number;
  logger: Logger;
  pacer?: Pacer;
  metrics?: NotionCallMetrics;
}

/** Clients cached per connection; a token change (refresh, rotation) drops the connection's old Clients. */
export class NotionClients {
  readonly #options: NotionClientOptions;
  readonly #cache = new Map<string, Client>();
  readonly #fingerprints = new Map<string, string>();

  constructor(options: NotionClientOptions) {
    this.#options = options;
  }

  /** `background`: a job's client, whose requests let the connection's interactive ones go first. */
  for(connectionId: string, token: string, notionVersion?: string, background = false): Client {
    // The cache key holds a digest of the token, never the token itself (computed once per token, not per call).
    let fingerprint = this.#fingerprints.get(token);
    if (!fingerprint) {
      fingerprint = createHash('sha256').update(token).digest('base64url').slice(0, 16);
      if (this.#fingerprints.size >= 1_000) this.#fingerprints.clear();
      this.#fingerprints.set(token, fingerprint);
    }
    const key = `${connectionId}:${fingerprint}:${notionVersion ?? 'default'}:${background ? 'job' : 'call'}`;
    let client = this.#cache.get(key);
    if (!client) {
      for (const old of this.#cache.keys()) {
        if (old.startsWith(`${connectionId}:`) && !old.includes(fingerprint)) this.#cache.delete(old);
      }
      client = createNotionClient(token, { ...this.#options, notionVersion, paceKey: connectionId, background });
      this.#cache.set(key, client);
    }
    return client;
  }
}

export interface CreateClientOptions {
  baseUrl: string;
  timeoutMs: number;
  maxRetries?: number;
  retryBaseMs?: number;
  logger?: Logger;
  notionVersion?: string;
  pacer?: Pacer;
  metrics?: NotionCallMetrics;
  /** Which pace the requests wait for (the connection id); unpaced without one. */
  paceKey?: string;
  background?: boolean;
}

/**
 * One configured SDK Client. `auth` is omitted for the OAuth routes (they authenticate with the client id and secret).
 * At WARN the SDK logs method, path, Notion's error code and request id: never headers or bodies (those only at
 * DEBUG, which this level never emits), so no token or OAuth secret reaches the log.
 */
export function createNotionClient(auth: string | undefined, options: CreateClientOptions): Client {
  // Before any header is built from it: a malformed token must fail here, never inside undici with its value quoted.
  if (auth !== undefined) assertPlausibleNotionToken(auth);
  const log = options.logger?.child({ component: 'notion-sdk' });
  const maxRetries = options.maxRetries ?? 3;
  const retryBaseMs = options.retryBaseMs ?? 250;
  const pacer = options.paceKey ? (options.pacer ?? UNPACED) : UNPACED;
  return new Client({
    auth,
    baseUrl: options.baseUrl,
    // The policy's fetch times out each attempt; the SDK's own timeout only backstops the whole exchange.
    timeoutMs: options.timeoutMs * (maxRetries + 2),
    notionVersion: options.notionVersion,
    // The SDK's own back-off starts at 4× the policy's (its default: 1 s for the default 250 ms).
    retry: { maxRetries, initialRetryDelayMs: 4 * retryBaseMs, maxRetryDelayMs: 10_000 },
    fetch: createPolicyFetch({
      pacer,
      paceKey: options.paceKey ?? '',
      background: options.background,
      timeoutMs: options.timeoutMs,
      maxRetries,
      retryBaseMs,
      logger: options.logger,
      metrics: options.metrics,
    }) as never,
    logLevel: LogLevel.WARN,
    logger: (level, message, extraInfo) => log?.[level === LogLevel.ERROR ? 'error' : 'warn']({ extraInfo }, message),
  });
}

/** Notion-Version the gateway speaks by default. */
export const NOTION_API_VERSION = Client.defaultNotionVersion;
