/**
 * The Notion call policy: what happens when a request to Notion fails, decided once for every request the SDK sends.
 * It is the `fetch` handed to each `@notionhq/client` Client, so it sits below the SDK's own retry and only adds what
 * the SDK does not do; it never repeats what the SDK does.
 *
 * | failure                                   | read (GET, search, queries)          | write (everything else)                      |
 * | ----------------------------------------- | ------------------------------------ | -------------------------------------------- |
 * | 429 `rate_limited`, 529                   | SDK retries, honouring Retry-After   | SDK retries (Notion did not run it)          |
 * | 429 `public_api_request_blocked`          | not retried: `notion_request_blocked`| not retried: `notion_request_blocked`        |
 * | 500, 503 on GET                           | SDK retries                          | —                                            |
 * | 500, 502, 503, 504 otherwise              | retried here (Retry-After honoured)  | not re-sent: `notion_outcome_unknown`        |
 * | timeout, connection reset                 | retried here                         | not re-sent: `notion_outcome_unknown`        |
 * | connection refused (nothing was sent)     | retried here                         | retried here                                 |
 * | 4xx                                       | returned as Notion's error           | returned as Notion's error                   |
 *
 * `notion_outcome_unknown` carries Notion's `committed_resource_id` when Notion sent one: the write may well have
 * been saved. Every attempt first waits for the connection's pace (src/notion/pacer.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { Agent, type Dispatcher } from 'undici';
import { GatewayError } from '../shared/errors.ts';
import type { NotionCallMetrics } from '../shared/metrics.ts';
import { inSpan } from '../shared/tracing.ts';
import { classifyNotionCall, type RouteKind } from './allowlist.ts';
import { currentNotionObserver, type NotionCall } from './observer.ts';
import type { Pacer } from './pacer.ts';

export interface CallPolicyOptions {
  pacer: Pacer;
  /** Pacing key: the connection id. */
  paceKey: string;
  /** Requests of a background job: they let the connection's interactive requests go first. */
  background?: boolean;
  /** Per attempt, headers and body included. */
  timeoutMs: number;
  /** Retries of a read after a failure the SDK does not retry itself. */
  maxRetries: number;
  /** First back-off without Retry-After, doubled each attempt, capped at 16×, full jitter (default 250 ms). */
  retryBaseMs?: number;
  logger?: Logger;
  /** Requests, retries and 429s counted for `GET /metrics`. */
  metrics?: NotionCallMetrics;
}

/** What the SDK sends: JSON text, or multipart FormData for a file upload's bytes (notion_file_upload). */
type FetchArgs = [
  input: string,
  init?: { method?: string; headers?: Record<string, string>; body?: string | FormData },
];

/** FormData as the bytes and boundary `fetch` would send (undici's `request()` takes bytes, not FormData). */
async function encodeForm(form: FormData): Promise<{ body: Buffer; contentType: string }> {
  const encoded = new Response(form);
  return {
    body: Buffer.from(await encoded.arrayBuffer()),
    contentType: encoded.headers.get('content-type') ?? 'multipart/form-data',
  };
}

/**
 * What the SDK reads of a response (its `SupportedResponse`: status, ok, headers, text), over undici's `request()`:
 * the Fetch API's Request, Response, Headers and body streams cost ≈ 13 % of the gateway's CPU per call for nothing
 * the SDK uses (`npm run bench -- --profile`). The body is read inside the attempt, so the attempt's deadline covers
 * it and a connection cut mid-body is a failure of the attempt (retried for a read), not an error inside the SDK.
 */
export interface NotionResponse {
  status: number;
  ok: boolean;
  headers: Record<string, string | string[] | undefined>;
  text(): Promise<string>;
}

async function send(target: URL, method: string, init: NonNullable<FetchArgs[1]>, signal: AbortSignal) {
  const form = init.body instanceof FormData ? await encodeForm(init.body) : null;
  const payload = form ? form.body : typeof init.body === 'string' ? init.body : undefined;
  const headers = form ? { ...init.headers, 'content-type': form.contentType } : init.headers;
  const answer = await dispatcher.request({
    origin: target.origin,
    path: `${target.pathname}${target.search}`,
    method: method as Dispatcher.HttpMethod,
    headers,
    body: payload,
    signal,
  });
  const body = await answer.body.text();
  const response: NotionResponse = {
    status: answer.statusCode,
    ok: answer.statusCode >= 200 && answer.statusCode < 300,
    headers: answer.headers,
    text: async () => body,
  };
  return response;
}

/**
 * Idle sockets are dropped after 2 s, well before Node's (and most servers') 5 s keep-alive timeout, so a request
 * never goes out on a socket the server is closing: that race is what answered ECONNRESET.
 */
const dispatcher = new Agent({ keepAliveTimeout: 2_000, keepAliveMaxTimeout: 4_000, connections: 64 });

const RETRIED_BY_SDK_ON_GET = new Set([500, 503]);
const AMBIGUOUS_STATUS = new Set([500, 502, 503, 504]);

/** What went wrong below HTTP: `refused` guarantees nothing was sent. */
function networkFailure(error: unknown, signal: AbortSignal): 'timeout' | 'refused' | 'reset' | 'network' {
  const e = error as { name?: string; code?: string; cause?: { code?: string; name?: string } };
  if (e.name === 'TimeoutError' || e.cause?.name === 'TimeoutError') return 'timeout';
  if (signal.aborted && (signal.reason as { name?: string } | undefined)?.name === 'TimeoutError') return 'timeout';
  const code = e.cause?.code ?? e.code;
  if (code === 'ECONNREFUSED') return 'refused';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') return 'reset';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return 'timeout';
  return 'network';
}

/** Exponential back-off with full jitter: 250 ms, 500 ms, 1 s… capped at 4 s (for the default base of 250 ms). */
const backoffMs = (attempt: number, baseMs = 250) => Math.random() * Math.min(16 * baseMs, baseMs * 2 ** attempt);

function retryAfterMs(response: NotionResponse): number | null {
  const header = response.headers['retry-after'];
  const value = Number.parseInt((Array.isArray(header) ? header[0] : header) ?? '', 10);
  return Number.isFinite(value) && value >= 0 ? Math.min(value, 10) * 1000 : null;
}

async function readJson(response: NotionResponse): Promise<Record<string, unknown>> {
  try {
    const body = JSON.parse(await response.text()) as unknown;
    return body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function parseBody(text: string | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function outcomeUnknown(method: string, reason: string, details: Record<string, unknown>): GatewayError {
  const committed = typeof details.committed_resource_id === 'string' ? details.committed_resource_id : null;
  return new GatewayError(
    'notion_outcome_unknown',
    `Notion failed after the ${method} was sent (${reason}): it may have been saved. ${
      committed
        ? `Notion reports it committed ${committed}: read it before writing again.`
        : 'Check (notion_read or search) before writing again, or retry with the same idempotency_key to get this answer again.'
    }`,
    { reason, ...details, committed_resource_id: committed },
  );
}

/** A `fetch` for the SDK that applies the policy above to every request of one connection. */
export function createPolicyFetch(options: CallPolicyOptions) {
  const log = options.logger?.child({ component: 'notion-call-policy' });
  const labels = { connection_id: options.paceKey || 'none' };
  const metrics = options.metrics;
  // The SDK re-sends a request with the same headers object: seeing it again is the SDK's retry (429, 529, 5xx).
  const sent = new WeakSet<object>();
  return async function policyFetch(...[url, init = {}]: FetchArgs): Promise<NotionResponse> {
    if (init.headers) {
      if (sent.has(init.headers)) metrics?.retries.inc(labels);
      else sent.add(init.headers);
    }
    const method = (init.method ?? 'GET').toUpperCase();
    const target = new URL(url);
    const path = target.pathname;
    const kind: RouteKind = classifyNotionCall(method, path);
    // The engine's before-image recorder, when a write is being audited (src/engine/pipeline/before-image.ts).
    const observer = currentNotionObserver();
    const observed: NotionCall | null = observer
      ? { method, path, body: parseBody(typeof init.body === 'string' ? init.body : undefined) }
      : null;
    if (observer && observed && kind === 'write') await observer.beforeWrite(observed);
    for (let attempt = 0; ; attempt++) {
      await options.pacer.acquire(options.paceKey, { background: options.background });
      let response: NotionResponse;
      // One deadline for the whole attempt, headers and body.
      const signal = AbortSignal.timeout(options.timeoutMs);
      if (attempt > 0) metrics?.retries.inc(labels);
      metrics?.requests.inc(labels);
      try {
        response = await inSpan(
          `notion ${method}`,
          { 'http.request.method': method, 'url.path': path, 'gateway.connection_id': labels.connection_id, attempt },
          async (annotate) => {
            const answer = await send(target, method, init, signal);
            annotate({ 'http.response.status_code': answer.status });
            return answer;
          },
        );
      } catch (error) {
        const failure = networkFailure(error, signal);
        const retryable = kind === 'read' || failure === 'refused';
        if (retryable && attempt < options.maxRetries) {
          log?.info({ method, path, failure, attempt: attempt + 1 }, 'retrying Notion request');
          await sleep(backoffMs(attempt, options.retryBaseMs));
          continue;
        }
        if (kind === 'write' && failure !== 'refused') throw outcomeUnknown(method, failure, {});
        throw new GatewayError(
          'notion_unreachable',
          failure === 'timeout' ? 'Notion did not answer in time. Try again later.' : 'Notion could not be reached.',
          { cause: failure, attempts: attempt + 1 },
        );
      }

      if (response.status === 429) {
        metrics?.rateLimited.inc(labels);
        const body = await readJson(response);
        if (body.rate_limit_reason === 'public_api_request_blocked') {
          throw new GatewayError(
            'notion_request_blocked',
            'Notion blocks requests from this integration (public_api_request_blocked). Retrying will not help: check the integration in Notion.',
            { notion_status: 429, rate_limit_reason: 'public_api_request_blocked' },
            429,
          );
        }
        return response; // the SDK retries 429 itself, honouring Retry-After
      }
      if (!AMBIGUOUS_STATUS.has(response.status)) {
        if (observer && observed && response.ok) observer.answered(observed, parseBody(await response.text()));
        return response;
      }

      if (kind === 'write') {
        const body = await readJson(response);
        throw outcomeUnknown(method, `HTTP ${response.status}`, {
          notion_status: response.status,
          notion_code: typeof body.code === 'string' ? body.code : null,
          ...(typeof body.committed_resource_id === 'string'
            ? { committed_resource_id: body.committed_resource_id }
            : {}),
        });
      }
      // Writes (DELETE included) were answered above; the SDK retries these statuses of a GET itself.
      const sdkRetries = method === 'GET' && RETRIED_BY_SDK_ON_GET.has(response.status);
      if (sdkRetries || attempt >= options.maxRetries) return response;
      log?.info({ method, path, status: response.status, attempt: attempt + 1 }, 'retrying Notion read');
      await sleep(retryAfterMs(response) ?? backoffMs(attempt, options.retryBaseMs));
    }
  };
}
