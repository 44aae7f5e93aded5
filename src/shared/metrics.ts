/**
 * The gateway's Prometheus metrics (prom-client), in one registry every layer may record into. Served by
 * `GET /metrics` (src/app.ts), behind the operator's API token. Labels are bounded: operation ids, transports,
 * outcome codes and connection ids (UUIDs of configured connections) — never a token, a principal's secret or a
 * Notion id of content.
 *
 * Gauges that describe state (job queue depth and age, open SSE sessions) are computed when scraped, through
 * `onScrape` collectors the composition root registers.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export type MetricsTransport = 'rest' | 'mcp' | 'sse';

export const registry = new Registry();

export const requestsTotal = new Counter({
  name: 'gateway_requests_total',
  help: 'Operations called, by operation, transport (rest | mcp | sse) and status (ok or the error code).',
  labelNames: ['operation', 'transport', 'status'] as const,
  registers: [registry],
});

export const requestDuration = new Histogram({
  name: 'gateway_request_duration_seconds',
  help: 'Time an operation took in the engine (authentication and body reading excluded), by operation.',
  labelNames: ['operation'] as const,
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  registers: [registry],
});

export const notionRequestsTotal = new Counter({
  name: 'gateway_notion_requests_total',
  help: 'HTTP requests sent to Notion (every attempt, retries included), by connection id.',
  labelNames: ['connection_id'] as const,
  registers: [registry],
});

export const notionRateLimitedTotal = new Counter({
  name: 'gateway_notion_rate_limited_total',
  help: 'Notion answers with HTTP 429, by connection id.',
  labelNames: ['connection_id'] as const,
  registers: [registry],
});

export const notionRetriesTotal = new Counter({
  name: 'gateway_notion_retries_total',
  help: 'Notion requests sent again after a failed attempt (by the call policy or by the SDK), by connection id.',
  labelNames: ['connection_id'] as const,
  registers: [registry],
});

export const paceWaitsTotal = new Counter({
  name: 'gateway_notion_pace_waits_total',
  help: 'Times a Notion request waited for its connection pace, by connection id.',
  labelNames: ['connection_id'] as const,
  registers: [registry],
});

export const paceWaitSeconds = new Counter({
  name: 'gateway_notion_pace_wait_seconds_total',
  help: 'Seconds Notion requests spent waiting for their connection pace, by connection id.',
  labelNames: ['connection_id'] as const,
  registers: [registry],
});

export const paceRefusedTotal = new Counter({
  name: 'gateway_notion_pace_refused_total',
  help: 'Requests refused with rate_limited because their pace wait would have been too long, by connection id.',
  labelNames: ['connection_id'] as const,
  registers: [registry],
});

export const idempotentReplaysTotal = new Counter({
  name: 'gateway_idempotent_replays_total',
  help: 'Writes answered from a stored result (same idempotency key), by operation.',
  labelNames: ['operation'] as const,
  registers: [registry],
});

/** What a running gateway reports when scraped (cheap: a count, a size, one query). */
export interface ScrapeSource {
  sseSessions(): number;
  jobs(): Promise<{ queued: number; running: number; oldestQueuedAgeSeconds: number }>;
}

const sources = new Set<ScrapeSource>();

/** Registers a gateway's state for scrapes; returns its removal (on close). Several gateways in one process add up. */
export function addScrapeSource(source: ScrapeSource): () => void {
  sources.add(source);
  return () => sources.delete(source);
}

new Gauge({
  name: 'gateway_sse_sessions',
  help: 'Legacy SSE sessions open on this process.',
  registers: [registry],
  collect() {
    let n = 0;
    for (const source of sources) n += source.sseSessions();
    this.set(n);
  },
});

/** One query per scrape, shared by the three job gauges. Gateways on one database see the same jobs: the max. */
let jobsScrape: Promise<{ queued: number; running: number; oldestQueuedAgeSeconds: number }> | null = null;
function jobsNow() {
  jobsScrape ??= (async () => {
    const all = await Promise.all([...sources].map((source) => source.jobs()));
    return {
      queued: Math.max(0, ...all.map((j) => j.queued)),
      running: Math.max(0, ...all.map((j) => j.running)),
      oldestQueuedAgeSeconds: Math.max(0, ...all.map((j) => j.oldestQueuedAgeSeconds)),
    };
  })().finally(() => setImmediate(() => (jobsScrape = null)));
  return jobsScrape;
}

new Gauge({
  name: 'gateway_jobs_queued',
  help: 'Jobs waiting to run (jobs table, status queued).',
  registers: [registry],
  async collect() {
    this.set((await jobsNow()).queued);
  },
});
new Gauge({
  name: 'gateway_jobs_running',
  help: 'Jobs running (jobs table, status running).',
  registers: [registry],
  async collect() {
    this.set((await jobsNow()).running);
  },
});
new Gauge({
  name: 'gateway_jobs_oldest_queued_age_seconds',
  help: 'Age of the oldest queued job, 0 when none waits.',
  registers: [registry],
  async collect() {
    this.set((await jobsNow()).oldestQueuedAgeSeconds);
  },
});

/** The exposition text and its content type. */
export async function exposition(): Promise<{ contentType: string; body: string }> {
  return { contentType: registry.contentType, body: await registry.metrics() };
}
