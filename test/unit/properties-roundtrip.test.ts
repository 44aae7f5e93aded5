/**
 * Friendly value → Notion value → page in the sandbox → compact value, for every writable type (fast-check), plus
 * the schema builder against the sandbox: the data source under test is created from the friendly schema format.
 */
import type { Client, PageObjectResponse } from '@notionhq/client';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildCreateSchema,
  buildPropertyValues,
  buildUpdateSchema,
  compactPage,
  compactSchema,
  type DataSourceSchema,
  spansToMarkdown,
  type TextSpan,
} from '../../src/engine/properties/index.ts';
import { type Sandbox, startSandbox } from '../../tools/notion-sandbox/index.ts';
import { rt, sdk } from '../sandbox/helpers.ts';

let sb: Sandbox;
let notion: Client;
let dataSourceId: string;
let schema: DataSourceSchema;
let targetIds: string[];
let userIds: string[];

async function createDataSource(parentPageId: string, title: string, properties: Record<string, unknown>) {
  const db = await notion.databases.create({
    parent: { type: 'page_id', page_id: parentPageId },
    title: rt(title),
    initial_data_source: { properties: buildCreateSchema(properties) },
  });
  if (!('data_sources' in db)) throw new Error('full database expected');
  return db.data_sources[0]!.id;
}

async function retrieve(pageId: string): Promise<PageObjectResponse> {
  const p = await notion.pages.retrieve({ page_id: pageId });
  if (!('properties' in p)) throw new Error('full page expected');
  return p;
}

beforeAll(async () => {
  sb = await startSandbox();
  notion = sdk(sb);
  const root = await notion.pages.create({
    parent: { type: 'workspace', workspace: true },
    properties: { title: { title: rt('Round trip') } },
  });
  const targets = await createDataSource(root.id, 'Projects', { Name: { type: 'title' } });
  targetIds = [];
  for (const name of ['Launch', 'Migrate', 'Hire'])
    targetIds.push(
      (await notion.pages.create({ parent: { data_source_id: targets }, properties: { Name: { title: rt(name) } } }))
        .id,
    );
  dataSourceId = await createDataSource(root.id, 'Tasks', {
    Name: { type: 'title' },
    Notes: { type: 'rich_text' },
    Points: { type: 'number', format: 'number_with_commas' },
    Priority: { type: 'select', options: ['High', { name: 'Low', color: 'gray' }] },
    Tags: { type: 'multi_select', options: [{ name: 'backend', color: 'blue' }, 'frontend'] },
    Status: { type: 'status', options: ['Todo', 'Doing', 'Done'] },
    Due: { type: 'date' },
    Owner: { type: 'people' },
    Attachments: { type: 'files' },
    Done: { type: 'checkbox' },
    Link: { type: 'url' },
    Email: { type: 'email' },
    Phone: { type: 'phone_number' },
    Project: { type: 'relation', target: targets, dual: 'Tasks' },
    Score: { type: 'formula', expression: 'prop("Points") * 2' },
    Created: { type: 'created_time' },
    ID: { type: 'unique_id', prefix: 'T' },
  });
  await notion.dataSources.update({
    data_source_id: dataSourceId,
    properties: buildUpdateSchema({
      'Project count': { type: 'rollup', relation: 'Project', property: 'Name', function: 'count' },
    }),
  });
  const ds = await notion.dataSources.retrieve({ data_source_id: dataSourceId });
  schema = ds.properties;
  const users = await notion.users.list({});
  userIds = users.results.filter((u) => u.type === 'person').map((u) => u.id);
});
afterAll(() => sb.close());

describe('schema builder against the sandbox', () => {
  it('created every type as asked', () => {
    expect(compactSchema(schema)).toMatchObject({
      Name: { type: 'title' },
      Points: { type: 'number', format: 'number_with_commas' },
      Priority: { type: 'select', options: ['High', 'Low'] },
      Status: { type: 'status', options: ['Todo', 'Doing', 'Done'] },
      Project: { type: 'relation', dual: 'Tasks' },
      Score: { type: 'formula', expression: 'prop("Points") * 2' },
      ID: { type: 'unique_id', prefix: 'T' },
      'Project count': { type: 'rollup', relation: 'Project', property: 'Name', function: 'count' },
    });
    expect(Object.keys(schema)).toHaveLength(18);
  });
});

/** An arbitrary friendly value and the compact value it must read back as. */
type Case = { input: unknown; expected: unknown };
const c = (input: unknown, expected: unknown = input): Case => ({ input, expected });

const UUID = (id: string) => id;
const noDash = (id: string) => id.replaceAll('-', '');

function arbitraries() {
  const fold = (s: string) => s.trim().toLowerCase();
  const option = (names: string[], fresh: boolean) =>
    fc.oneof(
      fc.constantFrom(...names).map((n) => c(n)),
      fc.constantFrom(...names).map((n) => c(` ${n.toUpperCase()}`, n)),
      ...(fresh
        ? [
            fc
              .stringMatching(/^[A-Za-z][A-Za-z0-9 ]{0,10}$/)
              .map((n) => c(n, names.find((x) => fold(x) === fold(n)) ?? n.trim())),
          ]
        : []),
    );
  const isoDay = fc
    .date({ min: new Date('1990-01-01'), max: new Date('2090-12-31'), noInvalidDate: true })
    .map((d) => d.toISOString().slice(0, 10));
  const isoDateTime = fc
    .date({ min: new Date('1990-01-01'), max: new Date('2090-12-31'), noInvalidDate: true })
    .map((d) => d.toISOString());
  const span: fc.Arbitrary<TextSpan> = fc
    .record({
      text: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 12 }),
      bold: fc.boolean(),
      italic: fc.boolean(),
      strikethrough: fc.boolean(),
      code: fc.boolean(),
      link: fc.option(fc.constantFrom('https://example.com/a', 'https://x.dev/(b)'), { nil: undefined }),
    })
    .map(
      (s) =>
        Object.fromEntries(Object.entries(s).filter(([, v]) => v !== false && v !== undefined)) as unknown as TextSpan,
    );
  const text = fc.oneof(
    { weight: 4, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1990, maxLength: 4100 }) },
  );
  return {
    Name: text.map((s) => c(s)),
    Notes: fc.oneof(
      fc.array(span, { maxLength: 5 }).map((spans) => {
        const md = spansToMarkdown(spans);
        return c({ value: md, markdown: true }, md);
      }),
      // Plain text read back as Markdown: its marker characters come back escaped.
      fc
        .string({ unit: 'grapheme', maxLength: 30 })
        .map((s) => c({ type: 'rich_text', value: s }, spansToMarkdown([{ text: s }]))),
    ),
    Points: fc.oneof(
      fc.integer().map((n) => c(n)),
      fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => c(n === 0 ? 0 : n)),
      fc.integer({ min: -1e6, max: 1e6 }).map((n) => c(String(n), n)),
      fc.constant(c(null)),
    ),
    Priority: fc.oneof(option(['High', 'Low'], true), fc.constant(c(null))),
    Tags: fc.array(option(['backend', 'frontend'], true), { maxLength: 4 }).map((cases) =>
      c(
        cases.map((x) => x.input),
        [...new Set(cases.map((x) => x.expected))],
      ),
    ),
    Status: fc.oneof(option(['Todo', 'Doing', 'Done'], false), fc.constant(c(null))),
    Due: fc.oneof(
      isoDay.map((d) => c(d)),
      isoDateTime.map((d) => c({ type: 'date', value: d }, d)),
      fc.tuple(isoDay, isoDay).map(([a, b]) => {
        const [start, end] = a <= b ? [a, b] : [b, a];
        return c({ start, end }, { start, end });
      }),
      fc.constant(c(null)),
    ),
    Owner: fc.subarray(userIds).map((ids) =>
      c(
        ids.map(noDash),
        ids.map((id) => ({ id: UUID(id) })),
      ),
    ),
    Attachments: fc
      .array(fc.record({ file: fc.stringMatching(/^[a-z0-9]{1,8}\.(pdf|png)$/), named: fc.boolean() }), {
        maxLength: 3,
      })
      .map((files) =>
        c(
          files.map((f) =>
            f.named
              ? { url: `https://example.com/f/${f.file}`, name: `Doc ${f.file}` }
              : `https://example.com/f/${f.file}`,
          ),
          files.map((f) => ({ name: f.named ? `Doc ${f.file}` : f.file, url: `https://example.com/f/${f.file}` })),
        ),
      ),
    Done: fc.boolean().map((b) => c(b)),
    Link: fc.oneof(
      fc.webUrl().map((u) => c(u)),
      fc.constant(c('', null)),
    ),
    Email: fc.oneof(
      fc.emailAddress().map((e) => c(e)),
      fc.constant(c(null)),
    ),
    Phone: fc.oneof(
      fc.stringMatching(/^\+?[0-9][0-9 ]{2,14}[0-9]$/).map((p) => c(p)),
      fc.constant(c(null)),
    ),
    Project: fc.subarray(targetIds).chain((ids) =>
      fc
        .tuple(...ids.map((id) => fc.constantFrom(id, noDash(id), `https://www.notion.so/acme/Page-${noDash(id)}`)))
        .map((given) =>
          c(
            given,
            ids.map((id) => ({ id })),
          ),
        ),
    ),
  } satisfies Record<string, fc.Arbitrary<Case>>;
}

describe('value → Notion → compact value round trip (sandbox)', () => {
  it('every writable type reads back as written', async () => {
    const arbs = arbitraries();
    const started = Date.now();
    await fc.assert(
      fc.asyncProperty(fc.record(arbs, { requiredKeys: [] }), async (cases) => {
        const input = Object.fromEntries(Object.entries(cases).map(([k, v]) => [k, (v as Case).input]));
        const properties = await buildPropertyValues(input, schema);
        const created = await notion.pages.create({ parent: { data_source_id: dataSourceId }, properties });
        const page = await retrieve(created.id);
        const plain = compactPage(page).properties;
        const markdown = compactPage(page, { markdown: true }).properties;
        for (const [name, v] of Object.entries(cases)) {
          const got = name === 'Notes' ? markdown[name] : plain[name];
          const { expected } = v as Case;
          // An empty value (null, "", []) is left out of the compact page.
          const empty = expected === null || expected === '' || (Array.isArray(expected) && expected.length === 0);
          expect(got, name).toEqual(empty ? undefined : expected);
        }
        const points = plain.Points;
        if (typeof points === 'number' && Number.isFinite(points * 2)) expect(plain.Score).toBe(points * 2);
        expect(plain['Project count']).toBe(((cases.Project?.expected as unknown[]) ?? []).length);
        expect(plain.ID).toMatch(/^T-\d+$/);
      }),
      { numRuns: 200 },
    );
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('updates clear and change values of an existing page', async () => {
    const created = await notion.pages.create({
      parent: { data_source_id: dataSourceId },
      properties: await buildPropertyValues(
        { Name: 'Task', Tags: ['backend'], Due: '2026-01-10', Project: [targetIds[0]], Points: 2 },
        schema,
      ),
    });
    await notion.pages.update({
      page_id: created.id,
      properties: await buildPropertyValues(
        { Tags: null, Due: { start: '2026-01-10', end: '2026-01-12' }, Points: null },
        schema,
      ),
    });
    const c = compactPage(await retrieve(created.id), {
      pageTitle: (id) => (id === targetIds[0] ? 'Launch' : undefined),
    });
    expect(c.title).toBe('Task');
    expect(c.properties).toMatchObject({
      Due: { start: '2026-01-10', end: '2026-01-12' },
      Project: [{ id: targetIds[0], title: 'Launch' }],
      'Project count': 1,
    });
    // Cleared values are left out.
    expect(c.properties).not.toHaveProperty('Tags');
    expect(c.properties).not.toHaveProperty('Points');
  });
});
