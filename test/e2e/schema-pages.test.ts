/**
 * Schemas and pages in the friendly formats, against the sandbox: a schema read back as it was written, renames and
 * removals, option merges, errors that name what to fix; pages created, read with Markdown, changed, trashed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoWorkspace } from '../../tools/notion-sandbox/seed.ts';
import { expectError } from '../support/contract.ts';
import { type Stack, startStack } from '../support/stack.ts';

let stack: Stack;
let demo: DemoWorkspace;
let call: Stack['call'];

beforeAll(async () => {
  stack = await startStack();
  ({ demo, call } = stack);
});

afterAll(async () => stack?.close());

describe('schemas', () => {
  it('creates a database from the friendly schema and reads it back the same way', async () => {
    const res = await call('POST', '/v1/databases', {
      parent_page_id: demo.rootPageId,
      title: 'Reading list',
      properties: {
        Title: { type: 'title' },
        Priority: { type: 'select', options: ['Low', 'High'] },
        Pages: { type: 'number' },
        Finished: { type: 'date' },
      },
    });
    expect(res.status).toBe(200);
    const id = res.json.result.data_source_id;
    const read = await call('POST', '/v1/data_sources/get', { database_id: res.json.result.database_id });
    expect(read.json.result.data_source_id).toBe(id);
    expect(read.json.result.title).toBe('Reading list');
    expect(read.json.result.properties.Priority).toEqual({ type: 'select', options: ['Low', 'High'] });

    const changed = await call('POST', '/v1/data_sources/update', {
      data_source_id: id,
      properties: { Priority: { type: 'select', options: ['Urgent'] }, Pages: { name: 'Page count' }, Finished: null },
    });
    expect(changed.status).toBe(200);
    const properties = changed.json.result.properties;
    expect(properties.Priority.options).toEqual(['Low', 'High', 'Urgent']);
    expect(properties['Page count']).toMatchObject({ type: 'number' });
    expect(properties.Finished).toBeUndefined();
  });

  it('refuses a schema without a title, with an example', async () => {
    const res = await call('POST', '/v1/databases', {
      parent_page_id: demo.rootPageId,
      title: 'Broken',
      properties: { Pages: { type: 'number' } },
    });
    expectError(res, 400, 'invalid_property');
    expect(res.json.error.details.example).toBeDefined();
  });

  it('an unknown property type names the closest one', async () => {
    const res = await call('POST', '/v1/databases', {
      parent_page_id: demo.rootPageId,
      title: 'Typo',
      properties: { Name: { type: 'title' }, Due: { type: 'daet' } },
    });
    expectError(res, 400, 'invalid_property');
    expect(res.json.error.message).toContain('date');
  });
});

describe('pages', () => {
  it('creates a row with friendly values and Markdown, reads it, changes it, trashes and restores it', async () => {
    const created = await call('POST', '/v1/pages', {
      data_source_id: demo.tasks.dataSourceId,
      properties: { Name: 'Write the report', Hours: 2, Tags: ['backend'] },
      content_markdown: '## Outline\n\n- intro\n- results',
    });
    expect(created.status).toBe(200);
    const id = created.json.result.page.id;
    expect(created.json.result.page.properties).toMatchObject({
      Name: 'Write the report',
      Hours: 2,
      Tags: ['backend'],
    });

    const read = await call('POST', '/v1/pages/get', { page_id: id, include_markdown: true });
    expect(read.json.result.markdown).toContain('Outline');

    const changed = await call('POST', '/v1/pages/update', {
      page_id: created.json.result.page.url,
      properties: { Done: true },
      replace_markdown: 'Finished.',
    });
    expect(changed.json.result.page.properties.Done).toBe(true);
    expect(changed.json.result.markdown).toContain('Finished.');
    expect(changed.json.result.markdown).not.toContain('Outline');

    const trashed = await call('POST', '/v1/pages/update', { page_id: id, in_trash: true });
    expect(trashed.json.result.page.in_trash).toBe(true);
    const restored = await call('POST', '/v1/pages/update', { page_id: id, in_trash: false });
    expect(restored.json.result.page.in_trash).toBeUndefined();
  });

  it('creates a sub-page under a page, and refuses two parents', async () => {
    const sub = await call('POST', '/v1/pages', { parent_page_id: demo.rootPageId, title: 'Notes' });
    expect(sub.json.result.page.title).toBe('Notes');
    const both = await call('POST', '/v1/pages', {
      parent_page_id: demo.rootPageId,
      data_source_id: demo.tasks.dataSourceId,
      title: 'x',
    });
    expectError(both, 400, 'validation_failed');
  });
});
