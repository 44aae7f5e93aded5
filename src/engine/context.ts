import type { Client } from '@notionhq/client';
import type { Logger } from 'pino';
import type { ConnectionRegistry, ConnectionSummary } from '../domain/connection-types.ts';
import type { NotionClients } from '../notion/client.ts';
import type { MetricsTransport, OperationMetrics } from '../shared/metrics.ts';
import type { Principal } from '../shared/principal.ts';
import type { ValidationIssue } from '../shared/validation.ts';
import type { KeyLocks } from '../store/locks.ts';
import type { JobQueue } from '../store/queue.ts';
import type {
  AuditRepository,
  IdempotencyRepository,
  JobRepository,
  UpsertKeyRepository,
} from '../store/repositories.ts';
import type { SearchIndexRepository } from '../store/search-index.ts';
import type { DataSourceCache } from './data-sources.ts';
import type { PeopleCache } from './people.ts';
import type { Input, OperationId, Outcome } from './types.ts';
import type { UpsertLookahead } from './upsert-batch.ts';

/** Which surface a call came through: recorded in logs and in the audit log. */
export type Actor = 'chatgpt_action' | 'chatgpt_mcp' | 'operator' | 'job';

/** What an adapter hands the engine for one call. Operations never see HTTP or MCP objects. */
export interface CallContext {
  requestId: string;
  actor: Actor;
  principal: Principal;
  logger: Logger;
  /** The Idempotency-Key header (REST). The body field and the MCP argument arrive in the input as `idempotency_key`. */
  idempotencyKey?: string;
  /** Size of a result as this surface's client will receive it (MCP carries it twice). Default: its JSON length. */
  measure?: (result: unknown) => number;
  /** Set when a job step runs the operation (audited with the job id). */
  jobId?: string;
  /** The surface a request came through, for /metrics; set by adapters only (nested and job calls are not counted). */
  transport?: MetricsTransport;
  /** Where a top-level input field came from (REST: path, query or body), for error pointers. Default: arguments. */
  inputLocation?: (field: string) => ValidationIssue['location'];
  /** Set by a bulk for its ops: upserts into one data source find their rows together (src/engine/upsert-batch.ts). */
  upsertBatch?: UpsertLookahead;
  /** Filled in by the engine for the request's access log line: the operation and the connection it ran on. */
  trace?: { operation?: string; connectionId?: string };
}

/** A connection resolved by the pipeline before the operation runs. */
export interface ResolvedConnection {
  summary: ConnectionSummary;
  /** A paced Notion client for this connection; the page-Markdown routes ask for their own Notion-Version. */
  notion(notionVersion?: string): Client;
}

/** What the audit row of a write should say beyond what the pipeline knows; operations fill it in. */
export interface AuditNotes {
  summary?: string;
  method?: string;
  path?: string;
  notionIds: Set<string>;
  /** For operations that manage connections (no connection is resolved for them). */
  connectionId?: string;
  /** Set by the pipeline: this write's own audit row. */
  rowId?: string;
  /** Set by the pipeline once the operation ran: what its Notion writes changed (src/engine/pipeline/before-image.ts). */
  beforeImage?: Record<string, unknown> | null;
}

/** What an operation is given: the call, plus what the pipeline resolved for it. */
export interface OperationContext extends CallContext {
  /** The call's measure, or the JSON length by default: what the size policy counts. */
  measure: (result: unknown) => number;
  /** Set when the operation's policy says `connection: required`. */
  connection: ResolvedConnection | null;
  audit: AuditNotes;
  /** Runs another operation through the whole request path (its own audit row, idempotency and size policy). */
  invoke<Op extends OperationId>(operationId: Op, input: Input<Op>, call?: Partial<CallContext>): Promise<Outcome<Op>>;
}

export interface PipelineSettings {
  /** READ_ONLY: every write is refused with `read_only`. */
  readOnly: boolean;
  /** Notion requests a minute per connection (NOTION_RATE_LIMIT_PER_MINUTE): how long a bulk would take. */
  pacePerMinute: number;
  /** NOTION_RETRY_BASE_MS: a bulk retries a naturally idempotent op after this, doubled each attempt. */
  retryBaseMs: number;
  idempotency: {
    /** How long a stored result replays. */
    ttlMs: number;
    /** How long a running first attempt holds its key before a retry may take it over (renewed while it runs). */
    leaseMs: number;
    /** How long a duplicate waits for the first attempt to finish before answering `idempotency_key_in_flight`. */
    waitMs: number;
  };
}

/** Long-lived services the engine uses, built once in src/app.ts. */
export interface EngineServices {
  connections: ConnectionRegistry;
  notion: NotionClients;
  audit: AuditRepository;
  idempotency: IdempotencyRepository;
  /** Unique key → page remembered by upserts (src/engine/operations/rows.ts). */
  upsertKeys: UpsertKeyRepository;
  locks: KeyLocks;
  /** Data-source schemas and database ids read from Notion, per connection (src/engine/data-sources.ts). */
  dataSources: DataSourceCache;
  /** The people of each connection's workspace, for e-mails in friendly values (src/engine/value-options.ts). */
  people: PeopleCache;
  jobs: JobRepository;
  /** The body search index, per connection (src/store/search-index.ts). */
  searchIndex: SearchIndexRepository;
  /** The durable queue jobs are sent to (null where no queue runs). */
  queue: JobQueue | null;
  /** fileUploadPartBytes: inline files larger than this go to Notion in parts of this size (5–20 MiB). */
  limits: { maxResponseChars: number; maxNotionBodyBytes: number; fileUploadPartBytes: number };
  settings: PipelineSettings;
  build: { version: string; sha: string };
  defaultConnectionId: string | null;
  /** Operation counts and durations, and idempotent replays, for this gateway's `GET /metrics`. */
  metrics: OperationMetrics;
  /** Set when the process is shutting down (SIGTERM): `/health` answers 503 `draining` so balancers move on. */
  lifecycle?: { draining: boolean };
}
