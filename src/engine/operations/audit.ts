/**
 * audit_list: the audit log, newest first, with keyset pagination (the cursor is the last row's time and id, so pages
 * stay stable while new writes arrive). Every principal reads only its own rows, the operator too: principals are
 * isolated, as their connections are.
 */
import { GatewayError } from '../../shared/errors.ts';
import type { AuditRow } from '../../store/repositories.ts';
import type { Output } from '../types.ts';
import type { Operation } from './operation.ts';

type Entry = Output<'audit_list'>['entries'][number];

const encodeCursor = (row: AuditRow) =>
  Buffer.from(JSON.stringify([row.created_at.toISOString(), row.id])).toString('base64url');

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const createdAt = new Date(at);
    if (typeof id !== 'string' || Number.isNaN(createdAt.getTime())) throw new Error('bad cursor');
    return { createdAt, id };
  } catch {
    throw new GatewayError('bad_request', 'cursor is not a next_cursor this endpoint returned.', {
      pointer: '/cursor',
      location: 'query',
    });
  }
}

const toEntry = (row: AuditRow): Entry => ({
  id: row.id,
  request_id: row.request_id,
  actor: row.actor,
  principal: row.principal,
  operation: row.operation,
  connection_id: row.connection_id ?? null,
  method: row.method ?? null,
  path: row.path ?? null,
  notion_ids: row.notion_ids,
  summary: row.summary,
  success: row.success ?? null,
  error_code: row.error_code ?? null,
  duration_ms: row.duration_ms ?? null,
  job_id: row.job_id ?? null,
  dry_run: row.dry_run === true,
  created_at: row.created_at.toISOString(),
});

export const audit_list: Operation<'audit_list'> = async (input, ctx, services) => {
  const limit = input.limit ?? 50;
  const rows = await services.audit.list({
    principal: ctx.principal.id,
    connectionId: input.connection_id,
    operation: input.operation,
    requestId: input.request_id,
    since: input.since ? new Date(input.since) : undefined,
    until: input.until ? new Date(input.until) : undefined,
    before: input.cursor ? decodeCursor(input.cursor) : undefined,
    limit: limit + 1,
  });
  const page = rows.slice(0, limit);
  return {
    entries: page.map(toEntry),
    next_cursor: rows.length > limit ? encodeCursor(page[page.length - 1]!) : null,
  };
};
