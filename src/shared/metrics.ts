/**
 * The gateway's Prometheus metrics (prom-client): one `GatewayMetrics` per gateway, made by the composition root
 * (src/app.ts) and handed to the engine, the pacer and the Notion call policy, so two gateways in one process (tests,
 * or an embedder) never add into each other's counters. Served by `GET /metrics`, behind the operator's API token.
 * Labels are bounded: operation ids, transports, outcome codes and connection ids (UUIDs of configured connections) —
 * never a token, a principal's secret or a Notion id of content.
 *
 * Gauges that describe state (job queue depth and age, open SSE sessions) are computed when scraped, from the
 * `ScrapeSource` the composition root attaches.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export type MetricsTransport = 'rest' | 'mcp' | 'sse';

/** What a running gateway reports when scraped (cheap: a count, a size, one query). */
export interface ScrapeSource {
  sseSessions(): number;
  jobs(): Promise<{ queued: number; running: number; oldestQueuedAgeSeconds: number }>;
}

type ConnectionCounter = Counter<'connection_id'>;

/** Counted by the Notion call policy (src/notion/call-policy.ts), per connection id. */
export interface NotionCallMetrics {
  requests: ConnectionCounter;
  rateLimited: ConnectionCounter;
  retries: ConnectionCounter;
}

/** Counted by the pacer (src/notion/pacer.ts), per connection id. */
export interface PaceMetrics {
  waits: ConnectionCounter;
  waitSeconds: ConnectionCounter;
  refused: ConnectionCounter;
}

/** Counted by the engine's request path (src/engine/engine.ts). */
export interface OperationMetrics {
  requests: Counter<'operation' | 'transport' | 'status'>;
  duration: Histogram<'operation'>;
  replays: Counter<'operation'>;
}

const NO_JOBS = { queued: 0, running: 0, oldestQueuedAgeSeconds: 0 };

export class GatewayMetrics {
  readonly registry = new Registry();
  readonly operations: OperationMetrics;
  readonly notion: NotionCallMetrics;
  readonly pace: PaceMetrics;
  #source: ScrapeSource | null = null;
  /** One query per scrape, shared by the three job gauges. */
  #jobsScrape: Promise<typeof NO_JOBS> | null = null;

  constructor() {
    const registers = [this.registry];
    const perConnection = (name: string, help: string): ConnectionCounter =>
      new Counter({ name, help, labelNames: ['connection_id'] as const, registers });
    this.operations = {
      requests: new Counter({
        name: 'gateway_requests_total',
        help: 'Operations called, by operation, transport (rest | mcp | sse) and status (ok or the error code).',
        labelNames: ['operation', 'transport', 'status'] as const,
        registers,
      }),
      duration: new Histogram({
        name: 'gateway_request_duration_seconds',
        help: 'Time an operation took in the engine (authentication and body reading excluded), by operation.',
        labelNames: ['operation'] as const,
        buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
        registers,
      }),
      replays: new Counter({
        name: 'gateway_idempotent_replays_total',
        help: 'Writes answered from a stored result (same idempotency key), by operation.',
        labelNames: ['operation'] as const,
        registers,
      }),
    };
    this.notion = {
      requests: perConnection(
        'gateway_notion_requests_total',
        'HTTP requests sent to Notion (every attempt, retries included), by connection id.',
      ),
      rateLimited: perConnection(
        'gateway_notion_rate_limited_total',
        'Notion answers with HTTP 429, by connection id.',
      ),
      retries: perConnection(
        'gateway_notion_retries_total',
        'Notion requests sent again after a failed attempt (by the call policy or by the SDK), by connection id.',
      ),
    };
    this.pace = {
      waits: perConnection(
        'gateway_notion_pace_waits_total',
        'Times a Notion request waited for its connection pace, by connection id.',
      ),
      waitSeconds: perConnection(
        'gateway_notion_pace_wait_seconds_total',
        'Seconds Notion requests spent waiting for their connection pace, by connection id.',
      ),
      refused: perConnection(
        'gateway_notion_pace_refused_total',
        'Requests refused with rate_limited because their pace wait would have been too long, by connection id.',
      ),
    };
    const metrics = this;
    new Gauge({
      name: 'gateway_sse_sessions',
      help: 'Legacy SSE sessions open on this process.',
      registers,
      collect() {
        this.set(metrics.#source?.sseSessions() ?? 0);
      },
    });
    const jobGauge = (name: string, help: string, pick: (jobs: typeof NO_JOBS) => number) =>
      new Gauge({
        name,
        help,
        registers,
        async collect() {
          this.set(pick(await metrics.#jobsNow()));
        },
      });
    jobGauge('gateway_jobs_queued', 'Jobs waiting to run (jobs table, status queued).', (j) => j.queued);
    jobGauge('gateway_jobs_running', 'Jobs running (jobs table, status running).', (j) => j.running);
    jobGauge(
      'gateway_jobs_oldest_queued_age_seconds',
      'Age of the oldest queued job, 0 when none waits.',
      (j) => j.oldestQueuedAgeSeconds,
    );
  }

  /** The gateway's state read at each scrape; without one the state gauges read 0. */
  setScrapeSource(source: ScrapeSource | null): void {
    this.#source = source;
  }

  /** The exposition text and its content type. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  #jobsNow(): Promise<typeof NO_JOBS> {
    this.#jobsScrape ??= (this.#source?.jobs() ?? Promise.resolve(NO_JOBS)).finally(() =>
      setImmediate(() => {
        this.#jobsScrape = null;
      }),
    );
    return this.#jobsScrape;
  }
}
