import type { PageObjectResponse } from '@notionhq/client';
import { describe, expect, it } from 'vitest';
import { compactPage, compactValue } from '../../src/engine/properties/index.ts';
import { page, USER_ID } from './properties-fixture.ts';

describe('compactPage', () => {
  it('renders every property compactly', () => {
    const c = compactPage(page);
    expect(c).toEqual({
      id: page.id,
      url: page.url,
      title: 'Write report',
      properties: {
        Name: 'Write report',
        Notes: 'see docs',
        Points: 3,
        Priority: 'High',
        Tags: ['backend', 'frontend'],
        Status: 'Done',
        Due: '2026-01-10',
        Owner: [{ id: USER_ID, name: 'Ada', email: 'ada@example.com' }],
        Attachments: [{ name: 'a.pdf', url: 'https://example.com/a.pdf' }],
        Done: true,
        Link: 'https://example.com',
        Phone: '+1 555 0100',
        Project: [{ id: '22222222-2222-3333-4444-555555555555' }],
        Score: 6,
        'Open tasks': 2,
        Created: '2026-01-01T10:00:00.000Z',
        'Created by': { id: USER_ID },
        Edited: '2026-01-02T10:00:00.000Z',
        'Edited by': { id: USER_ID },
        ID: 'TASK-7',
      },
    });
    // Empty values (Email is null) and Notion's own timestamps are left out.
    expect(c.properties).not.toHaveProperty('Email');
    expect(JSON.stringify(c).length).toBeLessThan(JSON.stringify(page).length / 3);
  });

  it('uses the resolvers, Markdown and a property selection', () => {
    const c = compactPage(page, {
      markdown: true,
      pageTitle: (id) => (id.startsWith('2222') ? 'Launch' : undefined),
      userName: () => 'Someone',
      properties: ['Notes', 'Name', 'Project', 'Created by', 'Missing'],
    });
    expect(c.title).toBe('Write **report**');
    expect(c.properties).toEqual({
      Notes: 'see [docs](https://example.com)',
      Name: 'Write **report**',
      Project: [{ id: '22222222-2222-3333-4444-555555555555', title: 'Launch' }],
      'Created by': { id: USER_ID, name: 'Someone' },
    });
  });

  it('marks trashed pages and lists cut lists', () => {
    const trashed = {
      ...page,
      in_trash: true,
      properties: { ...page.properties, Project: { ...page.properties.Project!, has_more: true } },
    } as unknown as PageObjectResponse;
    const c = compactPage(trashed);
    expect(c.in_trash).toBe(true);
    expect(c.truncated).toEqual(['Project']);
  });
});

describe('compactValue', () => {
  it('dates: a start alone is a string, a range or a time zone an object', () => {
    expect(compactValue({ type: 'date', date: null })).toBeNull();
    expect(compactValue({ type: 'date', date: { start: '2026-01-10', end: '2026-01-12', time_zone: null } })).toEqual({
      start: '2026-01-10',
      end: '2026-01-12',
    });
    expect(
      compactValue({ type: 'date', date: { start: '2026-01-10T09:00:00', end: null, time_zone: 'Europe/Paris' } }),
    ).toEqual({ start: '2026-01-10T09:00:00', end: null, time_zone: 'Europe/Paris' });
  });

  it('formulas give their result', () => {
    expect(compactValue({ type: 'formula', formula: { type: 'string', string: 'x' } })).toBe('x');
    expect(compactValue({ type: 'formula', formula: { type: 'boolean', boolean: false } })).toBe(false);
    expect(
      compactValue({
        type: 'formula',
        formula: { type: 'date', date: { start: '2026-01-10', end: null, time_zone: null } },
      }),
    ).toBe('2026-01-10');
    expect(compactValue({ type: 'formula', formula: { type: 'unsupported', unsupported: {} } })).toBeNull();
  });

  it('rollups are flattened: number, date, arrays of values', () => {
    expect(
      compactValue({
        type: 'rollup',
        rollup: { type: 'date', function: 'latest_date', date: { start: '2026-01-10', end: null, time_zone: null } },
      }),
    ).toBe('2026-01-10');
    expect(
      compactValue({
        type: 'rollup',
        rollup: {
          type: 'array',
          function: 'show_original',
          array: [
            { type: 'multi_select', multi_select: [{ id: 'a', name: 'a', color: 'red' }] },
            { type: 'multi_select', multi_select: [{ id: 'b', name: 'b', color: 'red' }] },
            { type: 'number', number: 4 },
          ],
        },
      }),
    ).toEqual(['a', 'b', 4]);
    expect(
      compactValue({ type: 'rollup', rollup: { type: 'unsupported', function: 'date_range', unsupported: {} } }),
    ).toBeNull();
  });

  it('unique ids without a prefix are numbers; Notion-hosted files keep their expiry', () => {
    expect(compactValue({ type: 'unique_id', unique_id: { prefix: null, number: 3 } })).toBe(3);
    expect(
      compactValue({
        type: 'files',
        files: [{ name: 'f', type: 'file', file: { url: 'https://s3/f', expiry_time: '2026-01-10T10:00:00.000Z' } }],
      }),
    ).toEqual([{ name: 'f', url: 'https://s3/f', expiry_time: '2026-01-10T10:00:00.000Z' }]);
  });
});
