// POST /v1/search: title substring match over pages and data sources, filter by object, sort by last_edited_time.
import { validation } from './errors.ts';
import { pageJson } from './pages.ts';
import { pageTitle } from './properties.ts';
import { plainText } from './richtext.ts';
import type { Ctx, Route } from './router.ts';
import type { DataSourceObjectResponse, SearchParameters, SearchResponse, Untrusted } from './sdk.ts';
import type { Workspace } from './store.ts';
import { describe, isObject, paginate } from './util.ts';

/** Hook: data-sources.ts renders data source objects (set there to avoid an import cycle). */
export const searchViews: { dataSource: (ws: Workspace, id: string) => DataSourceObjectResponse | null } = {
  dataSource: () => null,
};

interface Hit {
  id: string;
  kind: 'page' | 'data_source';
  title: string;
  edited: string;
  trashed: boolean;
}

export const searchRoutes = [
  {
    method: 'POST',
    template: '/v1/search',
    handler: (ctx: Ctx): SearchResponse => {
      const b: Untrusted<SearchParameters> = ctx.body;
      if (b.query !== undefined && b.query !== null && typeof b.query !== 'string')
        throw validation(`body.query should be a string, instead was ${describe(b.query)}.`);
      const q = ((b.query as string | undefined) ?? '').toLowerCase();
      let kind: string | undefined;
      let inTrash = false;
      if (b.filter !== undefined) {
        const f = b.filter;
        if (!isObject(f)) throw validation(`body.filter should be an object, instead was ${describe(f)}.`);
        if (f.property !== undefined || f.value !== undefined) {
          if (f.property !== 'object')
            throw validation(`body.filter.property should be \`"object"\`, instead was ${describe(f.property)}.`);
          if (f.value !== 'page' && f.value !== 'data_source')
            throw validation(
              `body.filter.value should be \`"page"\` or \`"data_source"\`, instead was ${describe(f.value)}.`,
            );
          kind = f.value;
        }
        if (typeof f.in_trash === 'boolean') inTrash = f.in_trash;
      }
      let direction: 'ascending' | 'descending' = 'descending';
      if (b.sort !== undefined) {
        const s = b.sort;
        if (!isObject(s)) throw validation(`body.sort should be an object, instead was ${describe(s)}.`);
        if (s.property !== 'relevance') {
          if (s.timestamp !== 'last_edited_time')
            throw validation(
              `body.sort.timestamp should be \`"last_edited_time"\`, instead was ${describe(s.timestamp)}.`,
            );
          if (s.direction !== 'ascending' && s.direction !== 'descending')
            throw validation(
              `body.sort.direction should be \`"ascending"\` or \`"descending"\`, instead was ${describe(s.direction)}.`,
            );
          direction = s.direction;
        }
      }
      const c = ctx.ws.content;
      const hits: Hit[] = [];
      if (kind !== 'data_source') {
        for (const p of Object.values(c.pages)) {
          if (p.is_template) continue;
          hits.push({
            id: p.id,
            kind: 'page',
            title: pageTitle(ctx.ws, p),
            edited: p.last_edited_time,
            trashed: p.in_trash,
          });
        }
      }
      if (kind !== 'page') {
        for (const d of Object.values(c.dataSources)) {
          const db = c.databases[d.database_id];
          hits.push({
            id: d.id,
            kind: 'data_source',
            title: plainText(d.title),
            edited: d.last_edited_time,
            trashed: d.in_trash || !!db?.in_trash,
          });
        }
      }
      const matched = hits
        .filter((h) => h.trashed === inTrash && (!q || h.title.toLowerCase().includes(q)))
        .sort((a, b2) =>
          direction === 'descending' ? b2.edited.localeCompare(a.edited) : a.edited.localeCompare(b2.edited),
        );
      const page = paginate(matched, (h) => h.id, b.start_cursor, b.page_size);
      return {
        object: 'list',
        results: page.results.flatMap((h) => {
          const r = h.kind === 'page' ? pageJson(ctx.ws, c.pages[h.id]!) : searchViews.dataSource(ctx.ws, h.id);
          return r ? [r] : [];
        }),
        next_cursor: page.next_cursor,
        has_more: page.has_more,
        type: 'page_or_data_source',
        page_or_data_source: {},
      };
    },
  },
] as const satisfies readonly Route[];
