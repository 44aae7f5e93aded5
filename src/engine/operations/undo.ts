/**
 * notion_undo: reverts the writes of a request, an audit entry or a job, newest first, from their before-images.
 * It runs as any write does (audited with its own before-image, paced, idempotent with a key); the rows it reverts
 * are marked with its audit row, so undoing twice answers `already_undone` and writes nothing. Only the caller's own
 * audit rows are found: principals are isolated.
 */
import { GatewayError } from '../../shared/errors.ts';
import type { AuditRow } from '../../store/repositories.ts';
import { dryRunAnswer, type WouldSend } from '../dry-run.ts';
import type { Output } from '../types.ts';
import { type Conflict, imageOf, objectKey, type PlannedWrite, planChange, sendStep, undoConflict } from '../undo.ts';
import { connectionOf, type Operation } from './operation.ts';

type Result = Output<'notion_undo'>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const notion_undo: Operation<'notion_undo'> = async (input, ctx, services) => {
  const connection = connectionOf(ctx);
  const given = (['request_id', 'audit_id', 'job_id'] as const).filter((k) => input[k] !== undefined);
  if (given.length !== 1) {
    throw new GatewayError('validation_failed', 'Give exactly one of request_id, audit_id or job_id.', {
      pointer: `/${given[1] ?? 'request_id'}`,
      example: { request_id: '<meta.request_id of the write>' },
    });
  }
  const which = given[0]!;
  const value = input[which]!;
  const principal = ctx.principal.id;
  const found =
    which === 'audit_id'
      ? await auditRow(services.audit, value, principal)
      : which === 'job_id' && !UUID.test(value)
        ? []
        : await services.audit.list({
            principal,
            ...(which === 'request_id' ? { requestId: value } : { jobId: value }),
            limit: 1000,
          });
  // Newest first (list order); the undo's own row and dry runs are not writes to revert.
  const rows = found.filter((row) => row.id !== ctx.audit.rowId && !row.dry_run && row.operation !== 'audit_list');
  if (rows.length === 0) {
    throw new GatewayError('not_found', `No write of yours has ${which} ${value}: audit_list lists your writes.`, {
      pointer: `/${which}`,
    });
  }
  const here = connection.summary.connection_id;
  const elsewhere = rows.filter((row) => row.connection_id && row.connection_id !== here);
  if (elsewhere.length === rows.length) {
    throw new GatewayError(
      'validation_failed',
      `These writes ran on connection ${elsewhere[0]!.connection_id}: pass it as connection_id.`,
      { pointer: '/connection_id', connection_id: elsewhere[0]!.connection_id },
    );
  }
  ctx.audit.summary = `undo of ${which} ${value}`;

  const result: Result = { status: 'nothing_to_undo', undone: [], skipped: [] };
  const todo: AuditRow[] = [];
  let undoneBy: string | null = null;
  for (const row of rows) {
    const skip = (reason: string) => result.skipped.push({ audit_id: row.id, operation: row.operation, reason });
    const image = imageOf(row.before_image);
    if (row.connection_id && row.connection_id !== here) skip(`ran on connection ${row.connection_id}`);
    else if (row.success === null) skip('still running (or stopped while running): try again once it ended');
    else if (row.undone_by) undoneBy = row.undone_by;
    else if (image?.too_large)
      skip(`cannot undo: before-image too large (${image.too_large.chars} > ${image.too_large.limit} characters)`);
    else if (image && image.changes.length > 0) todo.push(row);
    else if (row.operation === 'notion_job_start' && !image) skip('a job writes in its own steps: pass its job_id');
    else if (row.operation === 'notion_request' && row.method && row.method !== 'GET' && !image)
      skip('cannot undo: this raw notion_request kept no before-image');
  }
  if (todo.length === 0) {
    if (undoneBy) {
      const by = await services.audit.get(undoneBy, principal);
      return { ...result, status: 'already_undone', already_undone_by: by?.request_id ?? undoneBy };
    }
    if (result.skipped.length > 0) {
      throw new GatewayError('undo_unavailable', `Nothing here can be undone: ${result.skipped[0]!.reason}.`, {
        skipped: result.skipped,
      });
    }
    return result;
  }

  // Plan everything (and check it against the present) before writing anything.
  const checked = new Set<string>();
  const conflicts: Conflict[] = [];
  const plans: { row: AuditRow; planned: PlannedWrite[] }[] = [];
  for (const row of todo) {
    const changes = [...imageOf(row.before_image)!.changes].reverse();
    const planned: PlannedWrite[] = [];
    for (const change of changes) {
      const key = objectKey(change);
      planned.push(await planChange(connection, change, !checked.has(key), conflicts));
      checked.add(key);
    }
    plans.push({ row, planned });
  }
  if (conflicts.length > 0) throw undoConflict(conflicts);

  const sent: WouldSend[] = [];
  const changes: Record<string, { before: unknown; after: unknown }> = {};
  for (const { row, planned } of plans) {
    for (const p of planned) {
      for (const reason of p.skipped) result.skipped.push({ audit_id: row.id, operation: row.operation, reason });
      for (const step of p.steps) {
        sent.push(step.send);
        Object.assign(changes, step.changes);
      }
    }
    const objects = [...new Set(planned.flatMap((p) => p.objects))];
    if (objects.length > 0) result.undone.push({ audit_id: row.id, operation: row.operation, objects });
  }
  if (result.undone.length === 0) {
    if (result.skipped.length === 0) return result;
    throw new GatewayError('undo_unavailable', `Nothing here can be undone: ${result.skipped[0]!.reason}.`, {
      skipped: result.skipped,
    });
  }
  if (input.dry_run === true) {
    ctx.audit.summary = `would undo ${todo.length} write(s) of ${which} ${value}`;
    return { ...result, status: 'undone', ...dryRunAnswer(sent, changes) };
  }

  // Claim the rows (one statement): a concurrent undo of the same writes gets none of them and answers already_undone.
  const mine = ctx.audit.rowId!;
  const taken = new Set(
    await services.audit.markUndone(
      todo.map((row) => row.id),
      mine,
    ),
  );
  if (taken.size === 0) {
    const again = (await services.audit.get(todo[0]!.id, principal))?.undone_by;
    const by = again ? await services.audit.get(again, principal) : null;
    return {
      status: 'already_undone',
      undone: [],
      skipped: [],
      already_undone_by: by?.request_id ?? again ?? undefined,
    };
  }
  const remaining = new Set(taken);
  try {
    for (const { row, planned } of plans) {
      if (!taken.has(row.id)) continue;
      for (const p of planned) for (const step of p.steps) await sendStep(connection, step);
      remaining.delete(row.id);
    }
  } catch (error) {
    // What was not reverted can be undone again later; what was is kept marked (its own undo is this row's).
    await services.audit.markUndone([...remaining], null);
    throw error;
  }
  result.undone = result.undone.filter((u) => taken.has(u.audit_id));
  result.status = 'undone';
  ctx.audit.summary = `undid ${result.undone.length} write(s) of ${which} ${value}`;
  return result;
};

async function auditRow(
  audit: { get(id: string, principal: string): Promise<AuditRow | null> },
  id: string,
  principal: string,
) {
  // An id that is not a UUID cannot name a row (and must not reach the uuid column).
  if (!UUID.test(id)) return [];
  const row = await audit.get(id, principal);
  return row ? [row] : [];
}
