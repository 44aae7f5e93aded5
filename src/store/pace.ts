/**
 * The Notion pace shared by every gateway process on one PostgreSQL. Notion's limit is per connection, not per
 * process: two replicas pacing on their own would each send the full 3 requests a second. rate-limiter-flexible's
 * RateLimiterPostgres keeps each connection's window in the `notion_pace` table (one upsert per Notion request, on a
 * small pool of its own), with the same interface as the in-memory limiter the embedded gateway uses.
 */
import pg from 'pg';
import type { Logger } from 'pino';
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterPostgres } from 'rate-limiter-flexible';

/** What the pacer asks for: `points` requests per `duration` seconds, per key. */
export interface PaceWindow {
  points: number;
  duration: number;
  keyPrefix: string;
}

export interface SharedPace {
  limiter(window: PaceWindow): RateLimiterAbstract;
  close(): Promise<void>;
}

export function openSharedPace(databaseUrl: string, logger?: Logger): SharedPace {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  // An idle client losing its connection must not bring the process down; the next query reconnects.
  pool.on('error', (error) => logger?.warn({ err: error }, 'shared pace: database connection lost'));
  let closed: Promise<void> | null = null;
  return {
    limiter: (window) =>
      new RateLimiterPostgres({
        ...window,
        storeClient: pool,
        storeType: 'pool',
        tableName: 'notion_pace',
        // The table comes from the migrations; its rows (one per connection) are reused, never piled up.
        tableCreated: true,
        clearExpiredByTimeout: false,
        // PostgreSQL unreachable: each process keeps its own pace meanwhile instead of failing every Notion call.
        insuranceLimiter: new RateLimiterMemory(window),
      }),
    // Once, however often the gateway is closed.
    close: () => {
      closed ??= pool.end();
      return closed;
    },
  };
}
