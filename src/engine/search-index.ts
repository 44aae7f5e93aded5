/**
 * Keeping a connection's body index fresh. A sweep lists the shared pages newest edit first (Notion's search sorted
 * by last_edited_time, 100 a call) and stops at the first page edited before the index's watermark: a sweep over
 * unchanged pages costs one call. A changed page's body is read as `fetch` reads it (its Markdown, the first part
 * under the response limit) and replaces its row. Every call goes through the request path (paced, the job's
 * principal, the connection it resolved).
 */
import type { Logger } from 'pino';
import type { JobQueue } from '../store/queue.ts';
import type { ConnectionRows, JobRepository } from '../store/repositories.ts';
import type { SearchIndexRepository } from '../store/search-index.ts';
import type { Input, OperationId, Outcome } from './types.ts';

type Invoke = <Op extends OperationId>(operationId: Op, input: Input<Op>) => Promise<Outcome<Op>>;

export interface SweepReport {
  /** Notion search calls made to list pages. */
  list_calls: number;
  /** Pages whose body was read into the index. */
  indexed: number;
  /** Pages listed and found unchanged. */
  unchanged: number;
  watermark: string | null;
}

/**
 * Notion rounds last_edited_time to the minute: a page edited again in the minute the index last read it shows the
 * same time. Such a page (time on the minute, read less than a minute after it) is read again.
 */
const mayHideEdit = (edited: string, indexedAt: string | undefined): boolean =>
  edited.endsWith(':00.000Z') && (!indexedAt || Date.parse(indexedAt) - Date.parse(edited) < 60_000);

export async function sweepSearchIndex(deps: {
  invoke: Invoke;
  connectionId: string;
  index: SearchIndexRepository;
  rebuild?: boolean;
  progress?: (report: SweepReport) => Promise<void>;
}): Promise<SweepReport> {
  const { invoke, connectionId, index } = deps;
  const state = deps.rebuild ? null : await index.state(connectionId);
  const since = state?.watermark ?? null;
  const report: SweepReport = { list_calls: 0, indexed: 0, unchanged: 0, watermark: since };
  let cursor: string | undefined;
  let done = false;
  while (!done) {
    const { result } = await invoke('notion_search', {
      connection_id: connectionId,
      mode: 'title',
      filter: { property: 'object', value: 'page' },
      sort: { direction: 'descending', timestamp: 'last_edited_time' },
      page_size: 100,
      ...(cursor ? { start_cursor: cursor } : {}),
    } as Input<'notion_search'>);
    report.list_calls++;
    const pages = result.results.filter((hit) => hit.object === 'page' && hit.last_edited_time);
    const known = await index.indexedTimes(
      connectionId,
      pages.map((p) => p.id),
    );
    for (const page of pages) {
      const edited = new Date(page.last_edited_time!).toISOString();
      if (since && edited < since) {
        done = true;
        break;
      }
      const indexed = known.get(page.id);
      if (indexed?.edited === edited && !mayHideEdit(edited, indexed.at)) {
        report.unchanged++;
        continue;
      }
      const { result: document } = await invoke('fetch', {
        connection_id: connectionId,
        id: page.id,
      } as Input<'fetch'>);
      await index.put(connectionId, {
        page_id: page.id,
        title: document.title,
        url: document.url,
        last_edited_time: document.metadata.last_edited_time ?? edited,
        body: document.text,
      });
      report.indexed++;
      if (!report.watermark || edited > report.watermark) report.watermark = edited;
    }
    if (report.watermark === null && pages[0]) report.watermark = new Date(pages[0].last_edited_time!).toISOString();
    await deps.progress?.(report);
    if (!result.has_more || !result.next_cursor) break;
    cursor = result.next_cursor;
  }
  await index.finishSweep(connectionId, report.watermark);
  return report;
}

/**
 * Every `intervalS`, a `search_index` job for each live connection (as its owner) unless one is still queued or
 * running: a page edited now is found by body within one interval and a sweep. Returns the stop function.
 */
export function scheduleSearchSweeps(deps: {
  intervalS: number;
  connections: ConnectionRows;
  jobs: JobRepository;
  queue: JobQueue;
  /** Whether the connection has a search_index job queued or running. */
  pending(connectionId: string): Promise<boolean>;
  logger: Logger;
}): () => void {
  if (deps.intervalS <= 0) return () => {};
  const tick = async () => {
    for (const connection of await deps.connections.listLive()) {
      if (await deps.pending(connection.id)) continue;
      const job = await deps.jobs.create({
        connectionId: connection.id,
        principal: connection.owner,
        requestId: `search-sweep-${Date.now()}`,
        kind: 'search_index',
        args: {},
        progress: { done: 0, total: null, succeeded: 0, failed: 0 },
      });
      await deps.queue.send(job.id);
    }
  };
  const timer = setInterval(
    () => void tick().catch((error: unknown) => deps.logger.warn({ err: error }, 'search index sweep not started')),
    deps.intervalS * 1000,
  );
  timer.unref();
  return () => clearInterval(timer);
}
