/**
 * Pacing per connection: Notion allows an average of 3 requests per second per connection (180 a minute; 600 on
 * Business plans) with short bursts. Every Notion request the gateway sends waits for its connection's turn here,
 * retries included, so a busy connection slows down instead of collecting 429s. A request that would wait longer than
 * `maxWaitMs` is refused with `rate_limited` and `retry_after_seconds` rather than hang past ChatGPT's 45 s.
 *
 * The limiter is rate-limiter-flexible's: in-process RateLimiterMemory by default (embedded: one process), or the
 * one `limiter` builds (on PostgreSQL, RateLimiterPostgres from src/store/pace.ts, so replicas share one pace).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { GatewayError } from '../shared/errors.ts';
import type { PaceMetrics } from '../shared/metrics.ts';

export interface Pacer {
  /**
   * Resolves when `key` may send one request; throws `rate_limited` when that would take longer than allowed.
   * A `background` request (a job step) lets waiting interactive requests of the same key go first, so a long job
   * never starves the calls ChatGPT is waiting on; alone, it runs at the full pace.
   */
  acquire(key: string, options?: { background?: boolean }): Promise<void>;
}

export interface PaceSettings {
  /** Sustained requests per minute per connection (Notion: 180, 600 on Business and Enterprise plans). */
  perMinute: number;
  /** Requests allowed at once; the window is sized so the average never passes `perMinute`. */
  burst: number;
  /** Longest a request may wait for its turn. */
  maxWaitMs: number;
}

/** Builds the limiter of a window; the default keeps it in this process. */
export type LimiterFactory = (window: { points: number; duration: number; keyPrefix: string }) => RateLimiterAbstract;

export function createPacer(
  settings: PaceSettings,
  limiterFor: LimiterFactory = (window) => new RateLimiterMemory(window),
  metrics?: PaceMetrics,
): Pacer {
  const burst = Math.max(1, Math.floor(settings.burst));
  // `burst` requests per window, the window as long as `burst` requests take at the sustained rate.
  const windowSeconds = (burst * 60) / settings.perMinute;
  const limiter = limiterFor({ points: burst, duration: windowSeconds, keyPrefix: 'notion-pace' });
  /** Interactive requests waiting for a turn, per key. */
  const waiting = new Map<string, number>();
  return {
    async acquire(key, options = {}) {
      if (!options.background) waiting.set(key, (waiting.get(key) ?? 0) + 1);
      try {
        await take(key, Date.now(), options.background === true);
      } finally {
        if (!options.background) {
          const left = (waiting.get(key) ?? 1) - 1;
          if (left > 0) waiting.set(key, left);
          else waiting.delete(key);
        }
      }
    },
  };

  async function take(key: string, started: number, background: boolean): Promise<void> {
    let waitedMs = 0;
    try {
      await turn(key, started, background, (ms) => {
        waitedMs += ms;
      });
    } finally {
      if (waitedMs > 0) {
        metrics?.waits.inc({ connection_id: key });
        metrics?.waitSeconds.inc({ connection_id: key }, waitedMs / 1000);
      }
    }
  }

  async function turn(key: string, started: number, background: boolean, waited: (ms: number) => void) {
    for (;;) {
      // A job step steps aside while interactive requests of its connection wait (its own wait is not counted).
      if (background && (waiting.get(key) ?? 0) > 0) {
        await sleep(25);
        waited(25);
        started += 25;
        continue;
      }
      try {
        await limiter.consume(key);
        return;
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        const waitMs = Math.max(1, rejection.msBeforeNext);
        if (Date.now() - started + waitMs > settings.maxWaitMs) {
          const retryAfter = Math.max(1, Math.ceil(waitMs / 1000));
          metrics?.refused.inc({ connection_id: key });
          throw new GatewayError(
            'rate_limited',
            `This connection is at its Notion pace (${settings.perMinute} requests a minute); retry in ${retryAfter} s.`,
            { retry_after_seconds: retryAfter, requests_per_minute: settings.perMinute },
          );
        }
        await sleep(waitMs);
        waited(waitMs);
      }
    }
  }
}

/** No pacing (the connection layer's one-off calls, made before a connection exists). */
export const UNPACED: Pacer = { acquire: async () => {} };
