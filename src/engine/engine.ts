/**
 * The engine's single entry point and the request path every call takes, REST or MCP, in this order:
 *
 *   principal (from the adapter) → connection resolved once → read-only guard → audit row opened (writes)
 *   → idempotency claim or replay (writes) → the operation, its Notion calls paced per connection and governed by
 *   the call policy (src/notion) → response-size policy → audit row closed → outcome stored for replays.
 *
 * Whether an operation writes and whether it needs a connection is declared in the contract (x-engine in spec/) and
 * read from generated/operations.ts; nothing here lists operations by hand.
 */
import { operationPolicies } from '../../generated/operations.ts';
import { toGatewayError } from '../notion/errors.ts';
import { observeNotionCalls } from '../notion/observer.ts';
import { GatewayError } from '../shared/errors.ts';
import type { Principal } from '../shared/principal.ts';
import { inSpan } from '../shared/tracing.ts';
import type { CallContext, EngineServices, OperationContext, ResolvedConnection } from './context.ts';
import { hooks, type OperationHooks, operations } from './operations/index.ts';
import { notionIdsIn, type OpenAuditRow, openAuditRow } from './pipeline/audit.ts';
import { BeforeImageRecorder } from './pipeline/before-image.ts';
import { claimKey, fingerprint, idempotencyKeyOf, mayHaveWritten, type StoredOutcome } from './pipeline/idempotency.ts';
import { enforceReadSize } from './pipeline/size.ts';
import { refuseUnstorableText } from './pipeline/text.ts';
import type { Input, OperationId, Outcome, Output } from './types.ts';

export type { Outcome } from './types.ts';

type AnyOperation = (input: unknown, ctx: OperationContext, services: EngineServices) => Promise<unknown>;

const jsonLength = (value: unknown) => JSON.stringify(value).length;

export class Engine {
  readonly services: EngineServices;

  constructor(services: EngineServices) {
    this.services = services;
  }

  static isOperation(id: string): id is OperationId {
    return Object.hasOwn(operations, id);
  }

  /** Runs an operation through the request path. Throws only GatewayError; anything else becomes `internal_error`. */
  async invoke<Op extends OperationId>(operationId: Op, input: Input<Op>, call: CallContext): Promise<Outcome<Op>> {
    const started = performance.now();
    let status = 'ok';
    if (call.trace && !call.trace.operation) call.trace.operation = operationId;
    try {
      const attributes = { 'gateway.operation': operationId, 'gateway.request_id': call.requestId };
      return (await inSpan(
        operationId,
        call.transport ? { ...attributes, 'gateway.transport': call.transport } : attributes,
        () => this.#run(operationId, input as Record<string, unknown>, call),
      )) as Outcome<Op>;
    } catch (error) {
      const mapped = this.#gatewayError(error, operationId, call);
      status = mapped.code;
      throw mapped;
    } finally {
      if (call.transport) {
        this.services.metrics.requests.inc({ operation: operationId, transport: call.transport, status });
        this.services.metrics.duration.observe({ operation: operationId }, (performance.now() - started) / 1000);
      }
    }
  }

  /** Drops idempotency records whose time to live is over (scheduled by src/app.ts). */
  purgeExpiredKeys(): Promise<number> {
    return this.services.idempotency.purgeExpired();
  }

  async #run(
    operationId: OperationId,
    input: Record<string, unknown>,
    request: CallContext,
  ): Promise<Outcome<OperationId>> {
    refuseUnstorableText(input, request);
    let call = request;
    const policy = operationPolicies[operationId];
    const operation = operations[operationId] as unknown as AnyOperation;
    const opHooks = hooks[operationId] as OperationHooks<OperationId> | undefined;
    const writes = policy.writes && (opHooks?.writes?.(input as never) ?? true);

    const connection =
      policy.connection === 'required'
        ? await this.#resolveConnection(call.principal, input.connection_id, call.actor === 'job')
        : null;
    // Every log line of this call says which operation, for whom and on which connection.
    const connectionId = connection?.summary.connection_id;
    call = {
      ...call,
      logger: call.logger.child({ operation: operationId, connection_id: connectionId }),
    };
    if (connectionId && call.trace && call.trace.operation === operationId) call.trace.connectionId = connectionId;
    if (writes && this.services.settings.readOnly) {
      throw new GatewayError(
        'read_only',
        `This gateway is read-only (READ_ONLY=true): ${operationId} writes.`,
        {},
        403,
      );
    }
    const measure = call.measure ?? jsonLength;
    const ctx: OperationContext = {
      ...call,
      measure,
      connection,
      audit: { notionIds: new Set() },
      // An operation made of other operations (bulk) runs each through this same path.
      invoke: (op, opInput, overrides = {}) =>
        this.invoke(op, opInput, {
          ...call,
          logger: request.logger,
          measure: undefined,
          transport: undefined,
          ...overrides,
        }),
    };

    if (!writes) {
      const result = await operation(input, ctx, this.services);
      enforceReadSize(measure(result), this.services.limits.maxResponseChars);
      return { result, replayed: false } as Outcome<OperationId>;
    }

    const audit = await openAuditRow(
      this.services.audit,
      {
        requestId: call.requestId,
        actor: call.actor,
        principal: call.principal.id,
        operation: operationId,
        connectionId: connection?.summary.connection_id ?? null,
        jobId: call.jobId ?? null,
        dryRun: isDryRun(operationId, input),
        summary: `${operationId} (running)`,
      },
      call.logger,
    );
    ctx.audit.rowId = audit.id;
    try {
      const outcome = await this.#write(operationId, operation, opHooks, input, ctx, measure, audit);
      return outcome;
    } catch (error) {
      const mapped = this.#gatewayError(error, operationId, call);
      await audit.finish({
        success: false,
        errorCode: mapped.code,
        summary: `${ctx.audit.summary ?? operationId}: ${mapped.code}`,
        notionIds: [...ctx.audit.notionIds],
        connectionId: ctx.audit.connectionId,
        method: ctx.audit.method,
        path: ctx.audit.path,
        beforeImage: ctx.audit.beforeImage,
      });
      throw mapped;
    }
  }

  async #write(
    operationId: OperationId,
    operation: AnyOperation,
    opHooks: OperationHooks<OperationId> | undefined,
    input: Record<string, unknown>,
    ctx: OperationContext,
    measure: (result: unknown) => number,
    audit: OpenAuditRow,
  ): Promise<Outcome<OperationId>> {
    // A dry run writes nothing, so it neither claims nor replays an idempotency key.
    const dryRun = isDryRun(operationId, input);
    const key = dryRun ? null : idempotencyKeyOf(ctx.idempotencyKey, input);
    const claim = key
      ? await claimKey(
          this.services.idempotency,
          {
            principal: ctx.principal.id,
            connectionId: ctx.connection?.summary.connection_id ?? null,
            operation: operationId,
            key,
          },
          fingerprint(input),
          ctx.requestId,
          this.services.settings.idempotency,
        )
      : null;

    if (claim?.kind === 'replay') {
      this.services.metrics.replays.inc({ operation: operationId });
      const stored = claim.outcome;
      await audit.finish({
        success: stored.ok,
        errorCode: stored.ok ? undefined : stored.error.code,
        summary: `${operationId}: replayed the result of request ${claim.firstRequestId} (same idempotency_key)`,
      });
      if (!stored.ok)
        throw new GatewayError(stored.error.code, stored.error.message, stored.error.details, claim.status);
      return { result: stored.result as Output<OperationId>, replayed: true };
    }

    let result: unknown;
    // Every Notion write the operation sends is observed, and what it changed kept for undo (even when the call
    // fails part way: what was written can still be reverted).
    const recorder = ctx.connection && !dryRun ? new BeforeImageRecorder(ctx.connection) : null;
    try {
      result = await observeNotionCalls(recorder ?? undefined, () => operation(input, ctx, this.services));
    } catch (error) {
      ctx.audit.beforeImage = recorder?.image() as Record<string, unknown> | null | undefined;
      const mapped = this.#gatewayError(error, operationId, ctx);
      if (claim) {
        const failure: StoredOutcome = {
          ok: false,
          error: { code: mapped.code, message: mapped.message, details: mapped.details },
        };
        await (mayHaveWritten(mapped) ? claim.complete(mapped.status, failure) : claim.release());
      }
      throw mapped;
    }

    // Too large to echo: acknowledge instead. The write happened; it must never read as a failure.
    if (measure(result) > this.services.limits.maxResponseChars)
      result = this.#compact(operationId, opHooks, result, ctx);
    await claim?.complete(200, { ok: true, result });
    await audit.finish({
      success: true,
      summary: `${dryRun ? 'dry run (nothing written): ' : ''}${ctx.audit.summary ?? operationId}`,
      notionIds: [...notionIdsIn(result, ctx.audit.notionIds)],
      connectionId: ctx.audit.connectionId,
      method: ctx.audit.method,
      path: ctx.audit.path,
      beforeImage: recorder?.image() as Record<string, unknown> | null | undefined,
    });
    return { result: result as Output<OperationId>, replayed: false };
  }

  /** A write's acknowledgement; whatever goes wrong here, the write happened and its answer stays a success. */
  #compact(
    operationId: OperationId,
    opHooks: OperationHooks<OperationId> | undefined,
    result: unknown,
    ctx: OperationContext,
  ): unknown {
    if (!opHooks?.compact) {
      ctx.logger.warn({ operationId }, 'write result over the size limit and no compact form: sent as is');
      return result;
    }
    try {
      return opHooks.compact(result as never);
    } catch (error) {
      ctx.logger.error({ err: error, operationId }, 'compacting a write result failed: sent as is');
      return result;
    }
  }

  /** The connection a call runs on, resolved once: explicit id → the only one → DEFAULT_CONNECTION_ID. */
  async #resolveConnection(
    principal: Principal,
    connectionId: unknown,
    background: boolean,
  ): Promise<ResolvedConnection> {
    const handle = await this.services.connections.resolve(
      principal,
      typeof connectionId === 'string' ? connectionId : null,
    );
    const token = await handle.accessToken();
    const id = handle.summary.connection_id;
    return {
      summary: handle.summary,
      notion: (notionVersion) => this.services.notion.for(id, token, notionVersion, background),
    };
  }

  #gatewayError(error: unknown, operationId: OperationId, call: CallContext): GatewayError {
    const mapped = toGatewayError(error);
    if (mapped) return mapped;
    // The stack goes to the log (with the request id), never to the caller.
    call.logger.error({ err: error, operationId }, 'unexpected engine error');
    return new GatewayError(
      'internal_error',
      `Unexpected error; quote request id ${call.requestId} when reporting it.`,
    );
  }
}

/** A dry run: `dry_run: true`, or a job started with `args.dry_run: true` (a dry-run bulk, plan or migration job). */
function isDryRun(operationId: OperationId, input: Record<string, unknown>): boolean {
  const args = input.args as { dry_run?: unknown } | undefined;
  return input.dry_run === true || (operationId === 'notion_job_start' && args?.dry_run === true);
}
