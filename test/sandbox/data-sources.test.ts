import { APIErrorCode, type Client } from '@notionhq/client';
import type { PageObjectResponse } from '@notionhq/client/build/src/api-endpoints.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../tools/notion-sandbox/index.ts';
import { type DemoWorkspace, seedDemoWorkspace } from '../../tools/notion-sandbox/seed.ts';
import { rt, sdk } from './helpers.ts';

let sb: Sandbox;
let notion: Client;
let demo: DemoWorkspace;

beforeAll(async () => {
  sb = await startSandbox();
  notion = sdk(sb);
});
afterAll(() => sb.close());
beforeEach(async () => {
  sb.reset();
  demo = await seedDemoWorkspace(sb);
});

const full = (p: unknown) => p as PageObjectResponse;
const prop = (p: unknown, name: string) => (full(p).properties as Record<string, Record<string, unknown>>)[name]!;

describe('databases and data sources', () => {
  it('creates a database with an initial data source and lists it', async () => {
    const db = await notion.databases.retrieve({ database_id: demo.tasks.databaseId });
    expect(db).toMatchObject({ object: 'database', data_sources: [{ id: demo.tasks.dataSourceId, name: 'Tasks' }] });
    const ds = await notion.dataSources.retrieve({ data_source_id: demo.tasks.dataSourceId });
    if (!('title' in ds)) throw new Error('full data source expected');
    expect(ds.parent).toEqual({ type: 'database_id', database_id: demo.tasks.databaseId });
    expect(Object.keys(ds.properties).sort()).toEqual(['Done', 'Due', 'Hours', 'Name', 'Project', 'Tags']);
    expect(ds.properties.Project).toMatchObject({
      type: 'relation',
      relation: { data_source_id: demo.projects.dataSourceId, type: 'dual_property' },
    });
    const updated = await notion.databases.update({ database_id: demo.tasks.databaseId, title: rt('Todo') });
    expect('title' in updated && updated.title[0]!.plain_text).toBe('Todo');
    const children = await notion.blocks.children.list({ block_id: demo.rootPageId });
    expect(children.results.filter((b) => 'type' in b && b.type === 'child_database')).toHaveLength(2);
  });

  it('adds a second data source to a database', async () => {
    const ds = await notion.dataSources.create({
      parent: { database_id: demo.projects.databaseId },
      title: rt('Archive'),
      properties: { Title: { title: {} } },
    });
    const db = await notion.databases.retrieve({ database_id: demo.projects.databaseId });
    expect('data_sources' in db && db.data_sources.map((d) => d.id)).toContain(ds.id);
    await expect(
      notion.dataSources.create({
        parent: { database_id: demo.projects.databaseId },
        properties: { A: { rich_text: {} } },
      }),
    ).rejects.toMatchObject({
      code: APIErrorCode.ValidationError,
    });
  });

  it('updates the schema: add, rename, remove, select options; status options are create-only', async () => {
    const id = demo.tasks.dataSourceId;
    const r = await notion.dataSources.update({
      data_source_id: id,
      properties: {
        Priority: { select: { options: [{ name: 'High', color: 'red' }, { name: 'Low' }] } },
        Hours: { name: 'Effort' },
        Due: null,
        Stage: { status: { options: [{ name: 'Todo' }, { name: 'Doing' }, { name: 'Shipped' }] } },
      },
    });
    if (!('title' in r)) throw new Error('full data source expected');
    expect(r.properties.Effort).toMatchObject({ type: 'number' });
    expect(r.properties.Hours).toBeUndefined();
    expect(r.properties.Due).toBeUndefined();
    expect(r.properties.Priority).toMatchObject({
      select: {
        options: [
          { name: 'High', color: 'red' },
          { name: 'Low', color: 'default' },
        ],
      },
    });
    expect(r.properties.Stage).toMatchObject({
      status: { options: [{ name: 'Todo' }, { name: 'Doing' }, { name: 'Shipped' }] },
    });
    // Renamed property keeps its values.
    const row = await notion.pages.retrieve({ page_id: demo.tasks.pageIds[0]! });
    expect(prop(row, 'Effort')).toMatchObject({ number: 6 });
    await expect(
      notion.dataSources.update({
        data_source_id: id,
        properties: { Stage: { status: { options: [{ name: 'Other' }] } } },
      }),
    ).rejects.toMatchObject({ code: APIErrorCode.ValidationError });
    await expect(notion.dataSources.update({ data_source_id: id, properties: { Name: null } })).rejects.toMatchObject({
      code: APIErrorCode.ValidationError,
    });
  });
});

describe('property values', () => {
  it('writes and reads every writable type', async () => {
    const ds = await notion.dataSources.create({
      parent: { database_id: demo.projects.databaseId },
      properties: {
        Name: { title: {} },
        Text: { rich_text: {} },
        N: { number: {} },
        S: { select: {} },
        M: { multi_select: {} },
        St: { status: {} },
        D: { date: {} },
        P: { people: {} },
        F: { files: {} },
        C: { checkbox: {} },
        U: { url: {} },
        E: { email: {} },
        Ph: { phone_number: {} },
        Created: { created_time: {} },
        Edited: { last_edited_time: {} },
        Id: { unique_id: { prefix: 'T' } },
        Double: { formula: { expression: 'prop("N") * 2' } },
        Label: { formula: { expression: 'prop("Name") + "!"' } },
      },
    });
    const person = (await notion.users.list({})).results.find((u) => u.type === 'person')!;
    const page = await notion.pages.create({
      parent: { data_source_id: ds.id },
      properties: {
        Name: { title: rt('Row') },
        Text: { rich_text: rt('hello') },
        N: { number: 21 },
        S: { select: { name: 'New option' } },
        M: { multi_select: [{ name: 'a' }, { name: 'b' }] },
        St: { status: { name: 'In progress' } },
        D: { date: { start: '2025-05-01', end: '2025-05-03' } },
        P: { people: [{ id: person.id }] },
        F: { files: [{ name: 'spec.pdf', external: { url: 'https://example.com/spec.pdf' } }] },
        C: { checkbox: true },
        U: { url: 'https://example.com' },
        E: { email: 'a@example.com' },
        Ph: { phone_number: '+1 555' },
      },
    });
    expect(prop(page, 'S')).toMatchObject({ select: { name: 'New option' } });
    expect(prop(page, 'M')).toMatchObject({ multi_select: [{ name: 'a' }, { name: 'b' }] });
    expect(prop(page, 'St')).toMatchObject({ status: { name: 'In progress', color: 'blue' } });
    expect(prop(page, 'D')).toMatchObject({ date: { start: '2025-05-01', end: '2025-05-03', time_zone: null } });
    expect(prop(page, 'P')).toMatchObject({ people: [{ object: 'user', id: person.id }] });
    expect(prop(page, 'F')).toMatchObject({ files: [{ name: 'spec.pdf', type: 'external' }] });
    expect(prop(page, 'Id')).toMatchObject({ unique_id: { prefix: 'T', number: 1 } });
    expect(prop(page, 'Double')).toMatchObject({ formula: { type: 'number', number: 42 } });
    expect(prop(page, 'Label')).toMatchObject({ formula: { type: 'string', string: 'Row!' } });
    expect(prop(page, 'Created')).toMatchObject({ created_time: full(page).created_time });
    // The new select option was added to the schema, like Notion does.
    const schema = await notion.dataSources.retrieve({ data_source_id: ds.id });
    expect(JSON.stringify(schema.properties.S)).toContain('New option');
    // Clearing values.
    const cleared = await notion.pages.update({
      page_id: page.id,
      properties: { N: { number: null }, S: { select: null }, U: { url: null } },
    });
    expect(prop(cleared, 'N')).toMatchObject({ number: null });
    expect(prop(cleared, 'Double')).toMatchObject({ formula: { type: 'number', number: 0 } });
    // filter_properties limits the returned properties.
    const only = await notion.pages.retrieve({
      page_id: page.id,
      filter_properties: [String(schema.properties.N!.id)],
    });
    expect(Object.keys(full(only).properties)).toEqual(['N']);
  });

  it('rejects unknown properties, wrong shapes, computed writes and bad options — naming the property', async () => {
    const parent = { data_source_id: demo.tasks.dataSourceId };
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ Nope: { rich_text: [] } }, /Nope is not a property that exists/],
      [{ Hours: { number: 'five' } }, /Hours/],
      [{ Hours: { rich_text: [] } }, /Hours/],
      [{ Done: { checkbox: 'yes' } }, /Done/],
      [{ Due: { date: { start: 'someday' } } }, /Due/],
      [{ Project: { relation: [{ id: demo.tasks.pageIds[0] }] } }, /Project/],
    ];
    for (const [properties, msg] of cases) {
      await expect(notion.pages.create({ parent, properties: properties as never })).rejects.toMatchObject({
        code: APIErrorCode.ValidationError,
        message: expect.stringMatching(msg),
      });
    }
    await expect(
      notion.pages.update({
        page_id: demo.projects.pageIds[0]!,
        properties: { 'Total hours': { number: 3 } as never },
      }),
    ).rejects.toMatchObject({
      code: APIErrorCode.ValidationError,
      message: expect.stringMatching(/Total hours.*rollup/),
    });
    await expect(
      notion.pages.update({ page_id: demo.projects.pageIds[0]!, properties: { Status: { status: { name: 'Nope' } } } }),
    ).rejects.toMatchObject({ code: APIErrorCode.ValidationError, message: expect.stringMatching(/Status/) });
  });

  it('keeps dual relations in sync on both pages and computes rollups', async () => {
    const [web, migration] = demo.projects.pageIds as [string, string];
    const webPage = await notion.pages.retrieve({ page_id: web });
    expect((prop(webPage, 'Tasks').relation as unknown[]).length).toBe(2);
    expect(prop(webPage, 'Total hours')).toMatchObject({ rollup: { type: 'number', number: 18, function: 'sum' } });
    expect(prop(webPage, 'Task count')).toMatchObject({ rollup: { type: 'number', number: 2, function: 'count' } });
    // Move a task to the other project: both sides update.
    await notion.pages.update({
      page_id: demo.tasks.pageIds[1]!,
      properties: { Project: { relation: [{ id: migration }] } },
    });
    const after = await notion.pages.retrieve({ page_id: web });
    expect(prop(after, 'Tasks')).toMatchObject({ relation: [{ id: demo.tasks.pageIds[0] }] });
    const mig = await notion.pages.retrieve({ page_id: migration });
    expect((prop(mig, 'Tasks').relation as Array<{ id: string }>).map((r) => r.id).sort()).toEqual(
      [demo.tasks.pageIds[1], demo.tasks.pageIds[2]].sort(),
    );
    expect(prop(mig, 'Total hours')).toMatchObject({ rollup: { number: 17 } });
    // show_original returns the related values.
    await notion.dataSources.update({
      data_source_id: demo.projects.dataSourceId,
      properties: {
        Names: { rollup: { relation_property_name: 'Tasks', rollup_property_name: 'Name', function: 'show_original' } },
      },
    });
    const orig = prop(await notion.pages.retrieve({ page_id: web }), 'Names');
    expect(orig).toMatchObject({
      rollup: { type: 'array', array: [{ type: 'title', title: [{ plain_text: 'Design mockups' }] }] },
    });
  });

  it('supports single-property relations', async () => {
    await notion.dataSources.update({
      data_source_id: demo.tasks.dataSourceId,
      properties: { Blocker: { relation: { data_source_id: demo.projects.dataSourceId, single_property: {} } } },
    });
    const t = await notion.pages.update({
      page_id: demo.tasks.pageIds[0]!,
      properties: { Blocker: { relation: [{ id: demo.projects.pageIds[1]! }] } },
    });
    expect(prop(t, 'Blocker')).toMatchObject({ relation: [{ id: demo.projects.pageIds[1] }] });
    const p = await notion.dataSources.retrieve({ data_source_id: demo.projects.dataSourceId });
    expect(Object.keys(p.properties)).not.toContain('Related to Tasks (Blocker)');
  });
});

describe('query', () => {
  const q = (body: Record<string, unknown>) =>
    notion.dataSources.query({ data_source_id: demo.tasks.dataSourceId, ...body } as never);
  const names = (r: { results: unknown[] }) =>
    r.results.map((p) => (prop(p, 'Name').title as Array<{ plain_text: string }>)[0]!.plain_text);

  it('filters by every kind of condition', async () => {
    expect(names(await q({ filter: { property: 'Name', title: { contains: 'page' } } }))).toEqual([
      'Build landing page',
    ]);
    expect(names(await q({ filter: { property: 'Name', rich_text: { starts_with: 'export' } } }))).toEqual([
      'Export legacy tables',
    ]);
    expect(names(await q({ filter: { property: 'Name', title: { does_not_contain: 'o' } } }))).toEqual([
      'Build landing page',
    ]);
    expect(names(await q({ filter: { property: 'Done', checkbox: { equals: true } } }))).toEqual(['Design mockups']);
    expect(
      names(
        await q({
          filter: { property: 'Hours', number: { greater_than: 5 } },
          sorts: [{ property: 'Hours', direction: 'ascending' }],
        }),
      ),
    ).toEqual(['Design mockups', 'Build landing page']);
    expect(
      names(
        await q({
          filter: { property: 'Due', date: { on_or_before: '2025-02-01' } },
          sorts: [{ property: 'Due', direction: 'descending' }],
        }),
      ),
    ).toEqual(['Build landing page', 'Design mockups']);
    expect(names(await q({ filter: { property: 'Due', date: { after: '2025-02-01' } } }))).toEqual([
      'Export legacy tables',
    ]);
    expect(names(await q({ filter: { property: 'Tags', multi_select: { contains: 'backend' } } }))).toEqual([
      'Export legacy tables',
    ]);
    expect(
      names(await q({ filter: { property: 'Project', relation: { contains: demo.projects.pageIds[1]! } } })),
    ).toEqual(['Export legacy tables']);
    expect((await q({ filter: { property: 'Due', date: { is_not_empty: true } } })).results).toHaveLength(3);
    expect((await q({ filter: { property: 'Tags', multi_select: { is_empty: true } } })).results).toHaveLength(0);
    expect(
      (
        await notion.dataSources.query({
          data_source_id: demo.projects.dataSourceId,
          filter: { property: 'Status', status: { equals: 'In progress' } },
        })
      ).results,
    ).toHaveLength(1);
    expect(
      (
        await notion.dataSources.query({
          data_source_id: demo.projects.dataSourceId,
          filter: { property: 'Total hours', rollup: { number: { greater_than: 10 } } },
        })
      ).results,
    ).toHaveLength(1);
    expect(
      (await q({ filter: { timestamp: 'created_time', created_time: { on_or_after: '2000-01-01' } } })).results,
    ).toHaveLength(3);
  });

  it('combines nested and/or filters and sorts by timestamps', async () => {
    const r = await q({
      filter: {
        or: [
          { property: 'Done', checkbox: { equals: true } },
          {
            and: [
              { property: 'Hours', number: { less_than: 10 } },
              { property: 'Tags', multi_select: { contains: 'backend' } },
            ],
          },
        ],
      },
      sorts: [{ timestamp: 'created_time', direction: 'ascending' }],
    });
    expect(names(r)).toEqual(['Design mockups', 'Export legacy tables']);
    const tooDeep = { and: [{ or: [{ and: [{ or: [{ property: 'Done', checkbox: { equals: true } }] }] }] }] };
    await expect(q({ filter: tooDeep })).rejects.toMatchObject({ code: APIErrorCode.ValidationError });
  });

  it('paginates with page_size ≤ 100 and rejects bad filters', async () => {
    const first = await q({ page_size: 2, sorts: [{ property: 'Name', direction: 'ascending' }] });
    expect(first.has_more).toBe(true);
    const second = await q({
      page_size: 2,
      start_cursor: first.next_cursor,
      sorts: [{ property: 'Name', direction: 'ascending' }],
    });
    expect(names(first).concat(names(second))).toEqual([
      'Build landing page',
      'Design mockups',
      'Export legacy tables',
    ]);
    expect(second.has_more).toBe(false);
    await expect(q({ page_size: 101 })).rejects.toMatchObject({ code: APIErrorCode.ValidationError });
    await expect(q({ filter: { property: 'Missing', checkbox: { equals: true } } })).rejects.toMatchObject({
      code: APIErrorCode.ValidationError,
    });
    await expect(q({ filter: { property: 'Hours', checkbox: { equals: true } } })).rejects.toMatchObject({
      code: APIErrorCode.ValidationError,
    });
    await expect(q({ filter: { property: 'Hours', number: { bigger: 1 } } })).rejects.toMatchObject({
      code: APIErrorCode.ValidationError,
    });
  });

  it('limits returned properties with filter_properties and hides trashed rows', async () => {
    const ds = await notion.dataSources.retrieve({ data_source_id: demo.tasks.dataSourceId });
    const r = await q({ filter_properties: [ds.properties.Hours!.id] });
    expect(Object.keys(full(r.results[0]).properties)).toEqual(['Hours']);
    await notion.pages.update({ page_id: demo.tasks.pageIds[0]!, in_trash: true });
    expect((await q({})).results).toHaveLength(2);
  });

  it('finds data sources through search', async () => {
    const r = await notion.search({ query: 'tasks', filter: { property: 'object', value: 'data_source' } });
    expect(r.results.map((x) => x.id)).toEqual([demo.tasks.dataSourceId]);
    const sorted = await notion.search({ sort: { timestamp: 'last_edited_time', direction: 'ascending' } });
    const times = sorted.results.map((x) => ('last_edited_time' in x ? x.last_edited_time : ''));
    expect([...times].sort()).toEqual(times);
  });
});
