/**
 * notion_bulk: up to 100 writes in order in one call. Each op runs through the whole request path as its own call
 * (audited, paced, size-checked), on the bulk's connection. With the bulk's idempotency_key K, op i carries the key
 * `K#i`: a bulk retried after a failure or a crash replays the ops that already ran and runs only the rest.
 * A string `"$ops[2].page.id"` in an op's args is replaced by that value of an earlier op's result.
 * `dry_run`: every op runs as its own dry run, in order, under no idempotency key. A reference to an id an earlier
 * dry op would create (unknown until Notion creates it) becomes the placeholder `"<ops[0].page.id>"`; an op whose
 * args hold one is checked against its schema only and answers `{dry_run: true, waits_for: [...]}`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ValidateFunction } from 'ajv';
import { bulkOpNames, operationPolicies } from '../../../generated/operations.ts';
import { GatewayError, toErrorBody } from '../../shared/errors.ts';
import { createAjv, issuesFromAjv, validationFailed } from '../../shared/validation.ts';
import type { OperationContext } from '../context.ts';
import { notionIdsIn } from '../pipeline/audit.ts';
import type { Input, OperationId, Output } from '../types.ts';
import { UpsertLookahead } from '../upsert-batch.ts';
import { connectionOf, type Operation, type OperationHooks } from './operation.ts';

/**
 * Which writes a bulk may run, under which names, how many Notion requests each usually makes and which may simply
 * run again after a transient failure: all declared in the contract (x-engine.bulk, generated/operations.ts).
 */
export type BulkOperationId = (typeof bulkOpNames)[keyof typeof bulkOpNames];
const OPS: Readonly<Record<string, BulkOperationId>> = bulkOpNames;
const bulkUse = (operationId: BulkOperationId) => operationPolicies[operationId].bulk;
const MAX_ATTEMPTS = 4;

const transient = (error: GatewayError) =>
  error.code === 'notion_outcome_unknown' ||
  // A step whose process died holds its key until the lease ends: the next attempt runs under its own key.
  error.code === 'idempotency_key_in_flight' ||
  error.code === 'notion_unreachable' ||
  error.code === 'rate_limited' ||
  (error.code === 'notion_error' && Number(error.details.notion_status) >= 500);

/** ChatGPT gives up on a call after ~45 s: a bulk must be expected to finish well inside that. */
const SYNC_BUDGET_SECONDS = 35;

const REFERENCE = /\$ops\[(\d+)\]((?:\.[A-Za-z0-9_]+|\[\d+\])*)/g;

type BulkResult = Output<'notion_bulk'>;
export type OpResult = BulkResult['results'][number];

const PLACEHOLDER = /<ops\[\d+\](?:\.[A-Za-z0-9_]+|\[\d+\])*>/g;

function lookup(results: OpResult[], index: number, path: string, where: string): unknown {
  const source = results.find((r) => r.index === index);
  if (!source?.ok) {
    throw new GatewayError(
      'invalid_reference',
      `${where}: $ops[${index}] ${source ? 'failed' : 'has not run before this op'}; an op may only use the results of earlier ops that succeeded.`,
      { pointer: where, reference: `$ops[${index}]${path}` },
    );
  }
  let value: unknown = source.result;
  for (const step of path.match(/\.[A-Za-z0-9_]+|\[\d+\]/g) ?? []) {
    const key = step.startsWith('.') ? step.slice(1) : Number(step.slice(1, -1));
    value = value !== null && typeof value === 'object' ? (value as Record<string | number, unknown>)[key] : undefined;
  }
  // A dry op made nothing: what it would create has no id yet.
  if (
    (source.result as { dry_run?: unknown }).dry_run === true &&
    (value === undefined || value === '' || value === null)
  )
    return `<ops[${index}]${path}>`;
  if (value === undefined) {
    throw new GatewayError('invalid_reference', `${where}: $ops[${index}]${path} is not in that op's result.`, {
      pointer: where,
      reference: `$ops[${index}]${path}`,
      available: Object.keys((source.result as object | null) ?? {}),
    });
  }
  return value;
}

/** The args with every `$ops[…]` reference replaced: a whole-string reference keeps the value's type. */
function resolveReferences(value: unknown, results: OpResult[], where: string): unknown {
  if (typeof value === 'string') {
    const whole = new RegExp(`^${REFERENCE.source}$`).exec(value);
    if (whole) return lookup(results, Number(whole[1]), whole[2] ?? '', where);
    return value.replace(REFERENCE, (_m, index: string, path: string) =>
      String(lookup(results, Number(index), path, where)),
    );
  }
  if (Array.isArray(value)) return value.map((v, i) => resolveReferences(v, results, `${where}/${i}`));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, resolveReferences(v, results, `${where}/${k}`)]),
    );
  }
  return value;
}

/** Each op's own input schema from the contract (the MCP validation schemas), compiled once on first use. */
let inputSchemas: Record<string, object> | undefined;
const validators = new Map<OperationId, ValidateFunction>();
const ajv = createAjv();
function validatorFor(operationId: OperationId): ValidateFunction | undefined {
  let found = validators.get(operationId);
  if (!found) {
    inputSchemas ??= (
      JSON.parse(readFileSync(join(import.meta.dirname, '../../../generated/mcp-validation.json'), 'utf8')) as {
        inputs: Record<string, object>;
      }
    ).inputs;
    const schema = inputSchemas[operationId];
    if (!schema) return undefined;
    found = ajv.compile(schema);
    validators.set(operationId, found);
  }
  return found;
}

/** Whether the value at `pointer` inside `args`, or one on the way to it, is a string holding an `$ops[…]` reference. */
function underReference(args: unknown, pointer: string): boolean {
  let value = args;
  for (const token of ['', ...pointer.split('/').slice(1)]) {
    if (token !== '') {
      const key = token.replace(/~1/g, '/').replace(/~0/g, '~');
      value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
    }
    if (typeof value === 'string' && new RegExp(REFERENCE.source).test(value)) return true;
  }
  return false;
}

/**
 * Checks op `index`'s args against its operation's own input schema: a bad op is `validation_failed` naming its
 * index and the pointer of the bad value. `beforeReferences`: the args still hold `$ops[…]` strings, whose values
 * are checked once resolved (errors at them are not the caller's yet).
 */
export function checkOpArgs(
  operationId: OperationId,
  op: { op: string; args: unknown },
  index: number,
  options: { base?: string; beforeReferences?: boolean } = {},
): void {
  const validate = validatorFor(operationId);
  if (!validate || validate(op.args)) return;
  const errors = (validate.errors ?? []).filter(
    (e) => !options.beforeReferences || !underReference(op.args, e.instancePath),
  );
  if (!errors.length) return;
  const at = `${options.base ?? ''}/ops/${index}/args`;
  const failed = validationFailed(
    issuesFromAjv(errors, (pointer) => ({ location: 'body', pointer: `${at}${pointer}` })),
  );
  throw new GatewayError(
    'validation_failed',
    failed.message.replace(/^Invalid request:/, `ops[${index}] (${op.op}):`),
    {
      ...failed.details,
      index,
      op: op.op,
    },
  );
}

export function planOps(input: Pick<Input<'notion_bulk'>, 'ops'>, base = ''): BulkOperationId[] {
  return input.ops.map((op, index) => {
    const operationId = OPS[op.op];
    if (!operationId) {
      throw new GatewayError(
        'validation_failed',
        `ops[${index}].op "${op.op}" is not a bulk operation; use one of: ${Object.keys(OPS).join(', ')}.`,
        { pointer: `${base}/ops/${index}/op`, valid_choices: Object.keys(OPS) },
      );
    }
    if ('connection_id' in op.args || 'idempotency_key' in op.args) {
      throw new GatewayError(
        'validation_failed',
        `ops[${index}].args: connection_id and idempotency_key belong to the bulk itself, not to its ops.`,
        { pointer: `${base}/ops/${index}/args` },
      );
    }
    checkOpArgs(operationId, op, index, { base, beforeReferences: true });
    return operationId;
  });
}

export const notion_bulk: Operation<'notion_bulk'> = async (input, ctx, services) => {
  const plan = planOps(input);
  const calls = plan.reduce((sum, op) => sum + bulkUse(op).calls, 0);
  const seconds = Math.ceil((calls * 60) / services.settings.pacePerMinute);
  if (seconds > SYNC_BUDGET_SECONDS) {
    throw new GatewayError(
      'use_job',
      `These ${plan.length} ops need about ${calls} Notion requests, ~${seconds} s at this connection's pace of ${services.settings.pacePerMinute} a minute: more than one call can wait. Split them into bulks of about ${Math.max(1, Math.floor((plan.length * SYNC_BUDGET_SECONDS) / seconds))} ops.`,
      {
        ops: plan.length,
        estimated_notion_requests: calls,
        estimated_seconds: seconds,
        budget_seconds: SYNC_BUDGET_SECONDS,
      },
    );
  }
  const dryRun = input.dry_run === true;
  // A dry run uses up no key: neither the bulk's nor its ops'.
  const key = dryRun
    ? null
    : typeof input.idempotency_key === 'string'
      ? input.idempotency_key
      : (ctx.idempotencyKey ?? null);
  ctx.audit.summary = `bulk of ${plan.length} ops`;
  const run = await runOps(input, plan, {
    connectionId: connectionOf(ctx).summary.connection_id,
    keyPrefix: key,
    dryRun,
    invoke: ctx.invoke,
    retryBaseMs: services.settings.retryBaseMs,
  });
  for (const r of run.results) for (const id of notionIdsIn(r.result)) ctx.audit.notionIds.add(id);
  ctx.audit.summary = `bulk of ${plan.length} ops: ${run.succeeded} succeeded, ${run.failed} failed, ${run.skipped} skipped`;
  // The answer is in the order of the ops: each result's index and op would only repeat the request.
  return {
    ...run,
    results: run.results.map(({ index: _index, op: _op, ...outcome }) => outcome),
    ...(dryRun ? { dry_run: true } : {}),
  };
};

export interface RunOpsOptions {
  connectionId: string;
  /** Op i's idempotency key is `<prefix>#i` (attempts after the first: `<prefix>#i.a`); none without a prefix. */
  keyPrefix: string | null;
  invoke: OperationContext['invoke'];
  /** Results of ops already run (a resumed job): running continues after them. */
  done?: OpResult[];
  /** Called after each op with the results so far (a job saves its progress); false stops the run (cancelled). */
  afterOp?: (results: OpResult[]) => Promise<boolean>;
  /** Wait before retrying a transient failure, doubled each attempt (NOTION_RETRY_BASE_MS; default 250 ms). */
  retryBaseMs?: number;
  /** Each op runs with `dry_run: true` (keyPrefix must then be null: a dry run claims no key). */
  dryRun?: boolean;
}

/**
 * Runs a bulk's ops in order through the request path. The keys are deterministic, so running the same ops again
 * (a retried bulk, a job resumed after a crash) replays what already ran instead of writing it twice.
 */
export async function runOps(
  input: Pick<Input<'notion_bulk'>, 'ops' | 'mode'>,
  plan: BulkOperationId[],
  options: RunOpsOptions,
): Promise<BulkResult> {
  const results: OpResult[] = [...(options.done ?? [])];
  // Upserts into one data source find their rows together, up to 100 keys a query.
  const lookahead = new UpsertLookahead(
    input.ops,
    plan.map((op) => op === 'notion_upsert'),
  );
  const runOp = async (operationId: BulkOperationId, args: Record<string, unknown>, index: number) => {
    for (let attempt = 0; ; attempt++) {
      const opKey = options.keyPrefix ? `${options.keyPrefix}#${index}${attempt > 0 ? `.${attempt}` : ''}` : undefined;
      try {
        return await options.invoke(
          operationId,
          {
            ...args,
            connection_id: options.connectionId,
            ...(opKey ? { idempotency_key: opKey } : {}),
            ...(options.dryRun ? { dry_run: true } : {}),
          } as never,
          { idempotencyKey: undefined, upsertBatch: lookahead },
        );
      } catch (error) {
        const retry =
          error instanceof GatewayError &&
          transient(error) &&
          bulkUse(operationId).naturallyIdempotent &&
          attempt + 1 < MAX_ATTEMPTS;
        if (!retry) throw error;
        await sleep((options.retryBaseMs ?? 250) * 2 ** attempt);
      }
    }
  };
  const stopOnError = (input.mode ?? 'stop_on_error') === 'stop_on_error';
  for (let index = results.length; index < plan.length; index++) {
    if (stopOnError && results.some((r) => !r.ok)) break;
    const op = input.ops[index]!;
    lookahead.at(index);
    try {
      const args = resolveReferences(op.args, results, `/ops/${index}/args`) as Record<string, unknown>;
      const waitsFor = options.dryRun ? (JSON.stringify(args).match(PLACEHOLDER) ?? []) : [];
      if (waitsFor.length > 0) {
        // Its target does not exist yet: the args were checked against the op's schema (planOps); Notion cannot be asked.
        results.push({
          index,
          op: op.op,
          ok: true,
          result: { dry_run: true, waits_for: [...new Set(waitsFor)], args },
        });
        if (options.afterOp && !(await options.afterOp(results))) break;
        continue;
      }
      checkOpArgs(plan[index]!, { op: op.op, args }, index);
      const { result, replayed } = await runOp(plan[index]!, args, index);
      results.push({
        index,
        op: op.op,
        ok: true,
        result: result as Record<string, unknown>,
        ...(replayed ? { replayed } : {}),
      });
    } catch (error) {
      if (!(error instanceof GatewayError)) throw error;
      results.push({ index, op: op.op, ok: false, error: toErrorBody(error) });
    }
    if (options.afterOp && !(await options.afterOp(results))) break;
  }
  const failed = results.filter((r) => !r.ok).length;
  return { succeeded: results.length - failed, failed, skipped: plan.length - results.length, results };
}

/** Each op's result reduced to its action and ids when the whole answer is too large. */
export const bulkHooks: OperationHooks<'notion_bulk'> = {
  compact: (bulk) => ({
    ...bulk,
    compacted: true,
    results: bulk.results.map((r) => ({
      ...r,
      result: r.result && {
        ...('action' in r.result ? { action: r.result.action } : {}),
        ids: [...notionIdsIn(r.result)],
      },
    })),
  }),
};
