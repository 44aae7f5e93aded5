import type { PageObjectResponse } from '@notionhq/client';
import type { DataSourceSchema } from '../../src/engine/properties/index.ts';

export const TARGET_DS = '11111111-2222-3333-4444-555555555555';
export const USER_ID = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
export const PAGE_ID = '0123456789abcdef0123456789abcdef';

const option = (id: string, name: string) => ({ id, name, color: 'default' as const, description: null });

/** A data source schema with a property of every type (as GET /v1/data_sources/:id answers). */
export const schema: DataSourceSchema = {
  Name: { id: 'title', name: 'Name', description: null, type: 'title', title: {} },
  Notes: { id: 'n%3Ab', name: 'Notes', description: null, type: 'rich_text', rich_text: {} },
  Points: { id: 'pts', name: 'Points', description: null, type: 'number', number: { format: 'number' } },
  Priority: {
    id: 'pri',
    name: 'Priority',
    description: null,
    type: 'select',
    select: { options: [option('p1', 'High'), option('p2', 'Low')] },
  },
  Tags: {
    id: 'tag',
    name: 'Tags',
    description: null,
    type: 'multi_select',
    multi_select: { options: [option('t1', 'backend'), option('t2', 'frontend')] },
  },
  Status: {
    id: 'sta',
    name: 'Status',
    description: null,
    type: 'status',
    status: {
      options: [option('s1', 'Todo'), option('s2', 'Doing'), option('s3', 'Done')],
      groups: [
        { id: 'g1', name: 'To-do', color: 'gray', option_ids: ['s1'] },
        { id: 'g2', name: 'In progress', color: 'blue', option_ids: ['s2'] },
        { id: 'g3', name: 'Complete', color: 'green', option_ids: ['s3'] },
      ],
    },
  },
  Due: { id: 'due', name: 'Due', description: null, type: 'date', date: {} },
  Owner: { id: 'own', name: 'Owner', description: null, type: 'people', people: {} },
  Attachments: { id: 'att', name: 'Attachments', description: null, type: 'files', files: {} },
  Done: { id: 'don', name: 'Done', description: null, type: 'checkbox', checkbox: {} },
  Link: { id: 'lnk', name: 'Link', description: null, type: 'url', url: {} },
  Email: { id: 'eml', name: 'Email', description: null, type: 'email', email: {} },
  Phone: { id: 'phn', name: 'Phone', description: null, type: 'phone_number', phone_number: {} },
  Project: {
    id: 'prj',
    name: 'Project',
    description: null,
    type: 'relation',
    relation: {
      database_id: '99999999-2222-3333-4444-555555555555',
      data_source_id: TARGET_DS,
      type: 'dual_property',
      dual_property: { synced_property_id: 'abc', synced_property_name: 'Tasks' },
    },
  },
  Score: {
    id: 'sco',
    name: 'Score',
    description: null,
    type: 'formula',
    formula: { expression: 'prop("Points") * 2' },
  },
  'Open tasks': {
    id: 'opn',
    name: 'Open tasks',
    description: null,
    type: 'rollup',
    rollup: {
      function: 'count',
      relation_property_name: 'Project',
      relation_property_id: 'prj',
      rollup_property_name: 'Name',
      rollup_property_id: 'title',
    },
  },
  Created: { id: 'cre', name: 'Created', description: null, type: 'created_time', created_time: {} },
  'Created by': { id: 'crb', name: 'Created by', description: null, type: 'created_by', created_by: {} },
  Edited: { id: 'edt', name: 'Edited', description: null, type: 'last_edited_time', last_edited_time: {} },
  'Edited by': { id: 'edb', name: 'Edited by', description: null, type: 'last_edited_by', last_edited_by: {} },
  ID: { id: 'uid', name: 'ID', description: null, type: 'unique_id', unique_id: { prefix: 'TASK' } },
};

const annotations = {
  bold: false,
  italic: false,
  strikethrough: false,
  underline: false,
  code: false,
  color: 'default' as const,
};
export const text = (content: string, extra: Partial<typeof annotations> = {}, link: string | null = null) => ({
  type: 'text' as const,
  text: { content, link: link ? { url: link } : null },
  annotations: { ...annotations, ...extra },
  plain_text: content,
  href: link,
});

/** A page of that data source with a value in every property. */
export const page: PageObjectResponse = {
  object: 'page',
  id: '0123456789abcdef0123456789abcdef',
  created_time: '2026-01-01T10:00:00.000Z',
  last_edited_time: '2026-01-02T10:00:00.000Z',
  in_trash: false,
  archived: false,
  is_archived: false,
  is_locked: false,
  url: 'https://www.notion.so/Write-report-0123456789abcdef0123456789abcdef',
  public_url: null,
  parent: { type: 'data_source_id', data_source_id: TARGET_DS, database_id: '99999999-2222-3333-4444-555555555555' },
  icon: null,
  cover: null,
  created_by: { object: 'user', id: USER_ID },
  last_edited_by: { object: 'user', id: USER_ID },
  properties: {
    Name: { id: 'title', type: 'title', title: [text('Write '), text('report', { bold: true })] },
    Notes: { id: 'n%3Ab', type: 'rich_text', rich_text: [text('see '), text('docs', {}, 'https://example.com')] },
    Points: { id: 'pts', type: 'number', number: 3 },
    Priority: { id: 'pri', type: 'select', select: { id: 'p1', name: 'High', color: 'red' } },
    Tags: {
      id: 'tag',
      type: 'multi_select',
      multi_select: [
        { id: 't1', name: 'backend', color: 'blue' },
        { id: 't2', name: 'frontend', color: 'green' },
      ],
    },
    Status: { id: 'sta', type: 'status', status: { id: 's3', name: 'Done', color: 'green' } },
    Due: { id: 'due', type: 'date', date: { start: '2026-01-10', end: null, time_zone: null } },
    Owner: {
      id: 'own',
      type: 'people',
      people: [
        {
          object: 'user',
          id: USER_ID,
          name: 'Ada',
          avatar_url: null,
          type: 'person',
          person: { email: 'ada@example.com' },
        },
      ],
    },
    Attachments: {
      id: 'att',
      type: 'files',
      files: [{ name: 'a.pdf', type: 'external', external: { url: 'https://example.com/a.pdf' } }],
    },
    Done: { id: 'don', type: 'checkbox', checkbox: true },
    Link: { id: 'lnk', type: 'url', url: 'https://example.com' },
    Email: { id: 'eml', type: 'email', email: null },
    Phone: { id: 'phn', type: 'phone_number', phone_number: '+1 555 0100' },
    Project: { id: 'prj', type: 'relation', relation: [{ id: '22222222-2222-3333-4444-555555555555' }] },
    Score: { id: 'sco', type: 'formula', formula: { type: 'number', number: 6 } },
    'Open tasks': { id: 'opn', type: 'rollup', rollup: { type: 'number', number: 2, function: 'count' } },
    Created: { id: 'cre', type: 'created_time', created_time: '2026-01-01T10:00:00.000Z' },
    'Created by': { id: 'crb', type: 'created_by', created_by: { object: 'user', id: USER_ID } },
    Edited: { id: 'edt', type: 'last_edited_time', last_edited_time: '2026-01-02T10:00:00.000Z' },
    'Edited by': { id: 'edb', type: 'last_edited_by', last_edited_by: { object: 'user', id: USER_ID } },
    ID: { id: 'uid', type: 'unique_id', unique_id: { prefix: 'TASK', number: 7 } },
  },
};
