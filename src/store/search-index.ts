/**
 * The body search index: PostgreSQL full-text search (PGlite too) over the pages each connection shares. Every query
 * names its connection: rows of one connection never answer another's search. The `english` configuration stems
 * ("calls" matches "call"); titles weigh more than bodies (setweight A/B) in `ts_rank`.
 */
import type { EntityManager } from '@mikro-orm/core';

type Fork = () => EntityManager;

/** A body longer than this is indexed by its beginning (a tsvector is capped at 1 MB; snippets stay cheap). */
export const INDEXED_BODY_CHARS = 100_000;

export interface IndexedPage {
  page_id: string;
  title: string;
  url: string;
  last_edited_time: string;
  body: string;
}

export interface ContentHit {
  page_id: string;
  title: string;
  url: string;
  last_edited_time: string;
  snippet: string;
  rank: number;
}

export interface SearchIndexState {
  built_at: string | null;
  watermark: string | null;
}

export interface SearchIndexRepository {
  /** null when the connection's index was never swept. */
  state(connectionId: string): Promise<SearchIndexState | null>;
  /** page id → its last_edited_time as indexed and when it was read, for the given pages. */
  indexedTimes(connectionId: string, pageIds: string[]): Promise<Map<string, { edited: string; at: string }>>;
  put(connectionId: string, page: IndexedPage): Promise<void>;
  /** Records a finished sweep: the index is built, and holds every edit up to `watermark`. */
  finishSweep(connectionId: string, watermark: string | null): Promise<void>;
  search(connectionId: string, query: string, limit: number): Promise<ContentHit[]>;
  /** Drops a connection's rows and state (its deletion). */
  deleteConnection(connectionId: string): Promise<void>;
  /** Bytes of both tables with their indexes. */
  sizeBytes(): Promise<number>;
}

const iso = (value: unknown): string =>
  value instanceof Date ? value.toISOString() : new Date(String(value)).toISOString();

export function createSearchIndexRepository(fork: Fork): SearchIndexRepository {
  const sql = async <T>(text: string, params: unknown[] = []): Promise<T[]> =>
    (await fork().getConnection().execute(text, params, 'all')) as T[];
  return {
    async state(connectionId) {
      const [row] = await sql<{ built_at: unknown; watermark: unknown }>(
        'select built_at, watermark from search_index_state where connection_id = ?',
        [connectionId],
      );
      if (!row) return null;
      return {
        built_at: row.built_at == null ? null : iso(row.built_at),
        watermark: row.watermark == null ? null : iso(row.watermark),
      };
    },
    async indexedTimes(connectionId, pageIds) {
      if (pageIds.length === 0) return new Map();
      const rows = await sql<{ page_id: string; last_edited_time: unknown; indexed_at: unknown }>(
        `select page_id, last_edited_time, indexed_at from search_pages where connection_id = ? and page_id in (${pageIds.map(() => '?').join(', ')})`,
        [connectionId, ...pageIds],
      );
      return new Map(rows.map((r) => [r.page_id, { edited: iso(r.last_edited_time), at: iso(r.indexed_at) }]));
    },
    async put(connectionId, page) {
      const body = page.body.slice(0, INDEXED_BODY_CHARS);
      await sql(
        `insert into search_pages (connection_id, page_id, title, url, last_edited_time, body, document, indexed_at)
         values (?, ?, ?, ?, ?, ?, setweight(to_tsvector('english', ?), 'A') || setweight(to_tsvector('english', ?), 'B'), now())
         on conflict (connection_id, page_id) do update set title = excluded.title, url = excluded.url,
           last_edited_time = excluded.last_edited_time, body = excluded.body, document = excluded.document,
           indexed_at = excluded.indexed_at`,
        [connectionId, page.page_id, page.title, page.url, page.last_edited_time, body, page.title, body],
      );
    },
    async finishSweep(connectionId, watermark) {
      await sql(
        `insert into search_index_state (connection_id, built_at, watermark, swept_at) values (?, now(), ?, now())
         on conflict (connection_id) do update set built_at = coalesce(search_index_state.built_at, excluded.built_at),
           watermark = greatest(search_index_state.watermark, excluded.watermark), swept_at = excluded.swept_at`,
        [connectionId, watermark],
      );
    },
    async search(connectionId, query, limit) {
      // Ranked first, then a snippet for the few rows answered only (ts_headline reads the whole body).
      const rows = await sql<Omit<ContentHit, 'last_edited_time'> & { last_edited_time: unknown }>(
        `select page_id, title, url, last_edited_time, rank,
           ts_headline('english', body, q, 'MaxWords=24, MinWords=8, MaxFragments=1, StartSel=**, StopSel=**') as snippet
         from (select page_id, title, url, last_edited_time, body, q, ts_rank(document, q) as rank
               from search_pages, websearch_to_tsquery('english', ?) q
               where connection_id = ? and document @@ q
               order by rank desc, last_edited_time desc limit ?) ranked
         order by rank desc, last_edited_time desc`,
        [query, connectionId, limit],
      );
      return rows.map((r) => ({ ...r, rank: Number(r.rank), last_edited_time: iso(r.last_edited_time) }));
    },
    async deleteConnection(connectionId) {
      await sql('delete from search_pages where connection_id = ?', [connectionId]);
      await sql('delete from search_index_state where connection_id = ?', [connectionId]);
    },
    async sizeBytes() {
      const [row] = await sql<{ bytes: unknown }>(
        `select pg_total_relation_size('search_pages') + pg_total_relation_size('search_index_state') as bytes`,
      );
      return Number(row?.bytes ?? 0);
    },
  };
}
