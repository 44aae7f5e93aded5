/**
 * The audit trail of writes (seed §2.5). A write's row is written before the write runs, so a write that cannot be
 * audited never reaches Notion; it is completed with the outcome, the Notion ids touched and the duration.
 */

import type { Logger } from 'pino';
import { GatewayError } from '../../shared/errors.ts';
import { normaliseUuid } from '../../shared/ids.ts';
import type { AuditRepository, AuditStart } from '../../store/repositories.ts';

export interface OpenAuditRow {
  /** The row's id (an undo records it on the rows it reverts). */
  id: string;
  finish(outcome: {
    success: boolean;
    errorCode?: string;
    summary?: string;
    notionIds?: string[];
    connectionId?: string | null;
    method?: string;
    path?: string;
    beforeImage?: Record<string, unknown> | null;
  }): Promise<void>;
}

export async function openAuditRow(repo: AuditRepository, entry: AuditStart, logger: Logger): Promise<OpenAuditRow> {
  const started = performance.now();
  let id: string;
  try {
    id = (await repo.start(entry)).id;
  } catch (error) {
    logger.error({ err: error }, 'audit log write failed: the write was refused');
    throw new GatewayError(
      'audit_unavailable',
      'The audit log cannot be written right now, so nothing was changed. Try again shortly.',
      {},
      503,
    );
  }
  return {
    id,
    async finish(outcome) {
      try {
        await repo.finish(id, { ...outcome, durationMs: performance.now() - started });
      } catch (error) {
        // The write has happened: its answer must not turn into a failure. The row keeps success = null.
        logger.error({ err: error, audit_id: id }, 'audit log outcome could not be recorded');
      }
    },
  };
}

/** Notion object ids found in a result (`id` fields, a few levels deep), for the audit row. */
export function notionIdsIn(value: unknown, into = new Set<string>(), depth = 0): Set<string> {
  if (depth > 4 || into.size >= 50 || value === null || typeof value !== 'object') return into;
  if (Array.isArray(value)) {
    for (const item of value) notionIdsIn(item, into, depth + 1);
    return into;
  }
  for (const [key, child] of Object.entries(value)) {
    if (key === 'id' && typeof child === 'string') {
      const id = normaliseUuid(child);
      if (id) into.add(id);
    } else if (key !== 'properties' && key !== 'rich_text' && key !== 'title') {
      notionIdsIn(child, into, depth + 1);
    }
  }
  return into;
}
