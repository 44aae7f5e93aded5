/**
 * Idempotency of writes, with the semantics of the IETF Idempotency-Key draft and Stripe. A key is scoped to the
 * principal, the connection and the operation; the request is fingerprinted by its canonical input.
 *
 * - first use: the key is claimed (`in_progress`, with a lease), the write runs, its outcome is stored;
 * - same key, same input, finished: the stored outcome is replayed, nothing runs again;
 * - same key, other input: `idempotency_key_reused` (422);
 * - same key while the first attempt runs: wait up to `waitMs` for it, then replay, else `idempotency_key_in_flight`;
 * - the first attempt died (lease over, not renewed): the next request with the same input takes the key over;
 * - an attempt that changed nothing (refused before Notion, or Notion refused it) frees the key: a retry runs anew.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { configure } from 'safe-stable-stringify';
import { GatewayError } from '../../shared/errors.ts';
import type { IdempotencyRepository, IdempotencyScope } from '../../store/repositories.ts';
import type { PipelineSettings } from '../context.ts';

const canonical = configure({ deterministic: true, circularValue: Error, maximumDepth: 128 });

/** Key sources, in the order a caller might use them: header (REST), body field or MCP argument. */
export function idempotencyKeyOf(headerKey: string | undefined, input: Record<string, unknown>): string | undefined {
  const fromInput = typeof input.idempotency_key === 'string' ? input.idempotency_key : undefined;
  if (headerKey !== undefined && fromInput !== undefined && headerKey !== fromInput) {
    throw new GatewayError(
      'bad_request',
      'The Idempotency-Key header and the idempotency_key field differ: send one of them, or the same key in both.',
      { pointer: '/idempotency_key' },
    );
  }
  const key = headerKey ?? fromInput;
  if (key !== undefined && (key.length < 1 || key.length > 255)) {
    throw new GatewayError('validation_failed', 'idempotency_key must be 1 to 255 characters.', {
      pointer: '/idempotency_key',
    });
  }
  return key;
}

/** Hash of the input as the operation sees it, minus what only routes the call. */
export function fingerprint(input: Record<string, unknown>): string {
  const { idempotency_key: _key, connection_id: _connection, ...meaningful } = input;
  return createHash('sha256')
    .update(canonical(meaningful) ?? '')
    .digest('base64url');
}

/** What a stored outcome looks like: the result, or the error the first attempt answered. */
export type StoredOutcome =
  | { ok: true; result: unknown }
  | { ok: false; error: { code: GatewayError['code']; message: string; details: Record<string, unknown> } };

export type Claim =
  | { kind: 'run'; release(): Promise<void>; complete(status: number, outcome: StoredOutcome): Promise<void> }
  | { kind: 'replay'; status: number; outcome: StoredOutcome; firstRequestId: string };

/** Errors after which Notion may have written: their outcome is kept so a retry does not write twice. */
export const mayHaveWritten = (error: GatewayError) =>
  error.code === 'notion_outcome_unknown' || error.code === 'internal_error';

export async function claimKey(
  repo: IdempotencyRepository,
  scope: IdempotencyScope,
  requestHash: string,
  requestId: string,
  settings: PipelineSettings['idempotency'],
): Promise<Claim> {
  const deadline = Date.now() + settings.waitMs;
  for (let wait = 25; ; wait = Math.min(wait * 2, 250)) {
    const claimed = await repo.claim(scope, {
      requestHash,
      requestId,
      leaseMs: settings.leaseMs,
      ttlMs: settings.ttlMs,
    });
    if (claimed.reserved) return running(repo, scope, requestId, settings);
    const record = claimed.record;
    if (record.request_hash !== requestHash) {
      throw new GatewayError(
        'idempotency_key_reused',
        `This idempotency_key was already used for a different ${scope.operation} request (request ${record.request_id}). Use a new key for a new request.`,
        { first_request_id: record.request_id },
        422,
      );
    }
    if (record.status === 'completed') {
      return {
        kind: 'replay',
        status: record.response_status ?? 200,
        outcome: record.response_body as StoredOutcome,
        firstRequestId: record.request_id,
      };
    }
    if (Date.now() + wait > deadline) {
      const lockedFor = (record.locked_until?.getTime() ?? Date.now()) - Date.now();
      const retryAfter = Math.max(1, Math.min(5, Math.ceil(lockedFor / 1000)));
      throw new GatewayError(
        'idempotency_key_in_flight',
        `The first request with this idempotency_key (${record.request_id}) is still running. Retry in ${retryAfter} s with the same key to get its result.`,
        { first_request_id: record.request_id, retry_after_seconds: retryAfter },
        409,
      );
    }
    await sleep(wait);
  }
}

/** The attempt that holds the key: renews its lease while it runs, then stores the outcome or frees the key. */
function running(
  repo: IdempotencyRepository,
  scope: IdempotencyScope,
  requestId: string,
  settings: PipelineSettings['idempotency'],
): Claim {
  const heartbeat = setInterval(() => {
    repo.heartbeat(scope, requestId, settings.leaseMs).catch(() => {});
  }, settings.leaseMs / 3);
  heartbeat.unref();
  return {
    kind: 'run',
    async release() {
      clearInterval(heartbeat);
      await repo.release(scope, requestId);
    },
    async complete(status, outcome) {
      clearInterval(heartbeat);
      await repo.complete(scope, requestId, { status, body: outcome }, settings.ttlMs);
    },
  };
}
