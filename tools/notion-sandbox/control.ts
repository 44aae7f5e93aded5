// The test/benchmark control surface: rate limiting, latency, fault injection, request log, counters.
// Exposed both as methods on the Sandbox object and over HTTP under /__sandbox (see admin.ts).
import { prng } from './util.ts';

export interface RateLimitConfig {
  perSecond: number;
  burst: number;
}

export type LatencyConfig = number | { min: number; max: number };

export type FaultKind = 429 | 500 | 502 | 503 | 504 | 'timeout' | 'cut';

/**
 * Why Notion answered 429 (`rate_limit_reason` in the body). `request_rate` is the ordinary per-connection limit
 * (retry after Retry-After); `public_api_request_blocked` means the integration is blocked and must NOT be retried.
 */
export type RateLimitReason = 'request_rate' | 'public_api_request_blocked';

export interface FaultSpec {
  /**
   * What to answer with. 'timeout' holds the request open until `timeoutMs` then drops the socket. 'cut' runs the
   * request, sends 200 with the full Content-Length and half the body, then drops the socket.
   */
  status: FaultKind;
  /** Probability in [0,1] per matching request (default 1). Uses a seeded PRNG so runs are reproducible. */
  rate?: number;
  /** Only this many injections, then the fault retires itself (default: unlimited). */
  count?: number;
  /** Route templates ('/v1/pages/:page_id') or path prefixes ('/v1/pages'); default: every /v1 route. */
  routes?: string[];
  /** HTTP methods (default: all). */
  methods?: string[];
  /** For writes: run the handler first, then answer with the fault (Notion's "503 but saved" case). */
  afterCommit?: boolean;
  /** For 'timeout': how long to hold the request before destroying the socket (default 30 000 ms). */
  timeoutMs?: number;
  /** Retry-After seconds for 429/503 (default 1; never sent with `public_api_request_blocked`). */
  retryAfter?: number;
  /** For 429: the body's `rate_limit_reason` (default 'request_rate'). */
  rateLimitReason?: RateLimitReason;
  seed?: number;
}

export interface Fault extends FaultSpec {
  id: string;
  injected: number;
}

export interface RequestLogEntry {
  method: string;
  path: string;
  status: number;
  workspaceId: string | null;
  ms: number;
  /** Matched route template, e.g. 'POST /v1/pages', or null for unknown routes. */
  route: string | null;
  /** Opaque per-token handle ('conn_1'); never the token itself. */
  connection: string | null;
  /** Set when the answer came from the rate limiter or an injected fault. */
  injected?: 'rate_limit' | 'fault';
  at: string;
}

export interface Counters {
  total: number;
  byRoute: Record<string, number>;
  byStatus: Record<string, number>;
  byWorkspace: Record<string, number>;
  rateLimited: number;
  faultsInjected: number;
}

/** Token bucket per connection: `burst` requests at once, refilled at `perSecond`. */
export class RateLimiter {
  config: RateLimitConfig | null;
  #buckets = new Map<string, { tokens: number; at: number }>();
  constructor(config: RateLimitConfig | null) {
    this.config = config;
  }
  set(config: RateLimitConfig | null): void {
    this.config = config;
    this.#buckets.clear();
  }
  /** Returns 0 when allowed, else the seconds to wait (for Retry-After). */
  take(key: string, now = Date.now()): number {
    const c = this.config;
    if (!c) return 0;
    let b = this.#buckets.get(key);
    if (!b) {
      b = { tokens: c.burst, at: now };
      this.#buckets.set(key, b);
    }
    b.tokens = Math.min(c.burst, b.tokens + ((now - b.at) / 1000) * c.perSecond);
    b.at = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / c.perSecond));
  }
}

export function normalizeRateLimit(
  opt: false | { perSecond?: number; burst?: number } | undefined | null,
): RateLimitConfig | null {
  if (!opt) return null;
  const perSecond = opt.perSecond ?? 3;
  // Notion averages 3 req/s and tolerates short bursts; 10 is a "small burst".
  return { perSecond, burst: opt.burst ?? Math.max(1, Math.ceil(perSecond * 3)) };
}

export class Control {
  rateLimiter: RateLimiter;
  latency: LatencyConfig;
  faults: Fault[] = [];
  log: RequestLogEntry[] = [];
  counters: Counters = emptyCounters();
  #faultSeq = 0;
  #rand = prng(42);

  constructor(rate: RateLimitConfig | null, latency: LatencyConfig) {
    this.rateLimiter = new RateLimiter(rate);
    this.latency = latency;
  }

  latencyMs(): number {
    const l = this.latency;
    if (typeof l === 'number') return l;
    return l.min + this.#rand() * Math.max(0, l.max - l.min);
  }

  addFault(spec: FaultSpec): Fault {
    const f: Fault = { ...spec, id: `fault_${++this.#faultSeq}`, injected: 0 };
    if (spec.seed !== undefined) this.#rand = prng(spec.seed);
    this.faults.push(f);
    return f;
  }

  removeFault(id: string): boolean {
    const before = this.faults.length;
    this.faults = this.faults.filter((f) => f.id !== id);
    return this.faults.length < before;
  }

  /** Picks the first active fault that matches this request (and consumes one of its `count`). */
  pickFault(method: string, path: string, template: string | null): Fault | null {
    for (const f of this.faults) {
      if (f.count !== undefined && f.injected >= f.count) continue;
      if (f.methods && !f.methods.some((m) => m.toUpperCase() === method)) continue;
      if (f.routes && !f.routes.some((r) => r === template || r === `${method} ${template}` || path.startsWith(r)))
        continue;
      if (f.rate !== undefined && f.rate < 1 && this.#rand() >= f.rate) continue;
      f.injected++;
      this.counters.faultsInjected++;
      return f;
    }
    return null;
  }

  record(e: RequestLogEntry): void {
    this.log.push(e);
    // Keep memory bounded in long benchmark runs.
    if (this.log.length > 100_000) this.log.splice(0, this.log.length - 100_000);
    const c = this.counters;
    c.total++;
    const key = e.route ?? `${e.method} (unknown)`;
    c.byRoute[key] = (c.byRoute[key] ?? 0) + 1;
    c.byStatus[String(e.status)] = (c.byStatus[String(e.status)] ?? 0) + 1;
    const w = e.workspaceId ?? '(none)';
    c.byWorkspace[w] = (c.byWorkspace[w] ?? 0) + 1;
    if (e.injected === 'rate_limit') c.rateLimited++;
  }

  clearLog(): void {
    this.log = [];
    this.counters = emptyCounters();
  }
}

function emptyCounters(): Counters {
  return { total: 0, byRoute: {}, byStatus: {}, byWorkspace: {}, rateLimited: 0, faultsInjected: 0 };
}
