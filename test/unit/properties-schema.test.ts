import { describe, expect, it } from 'vitest';
import { buildCreateSchema, buildUpdateSchema, compactSchema } from '../../src/engine/properties/index.ts';
import { GatewayError } from '../../src/shared/errors.ts';
import { schema, TARGET_DS } from './properties-fixture.ts';

const DS = '0123456789abcdef0123456789abcdef';

function err(fn: () => unknown): GatewayError {
  try {
    fn();
  } catch (e) {
    if (e instanceof GatewayError) {
      expect(e.code).toBe('invalid_property');
      return e;
    }
    throw e;
  }
  throw new Error('expected invalid_property');
}

describe('buildCreateSchema', () => {
  it('builds every type', () => {
    const out = buildCreateSchema({
      Name: { type: 'title' },
      Notes: { type: 'rich_text', description: 'Free text' },
      Points: { type: 'number', format: 'dollar' },
      Plain: { type: 'number' },
      Priority: { type: 'select', options: ['Low', { name: 'High', color: 'red' }] },
      Tags: { type: 'multi_select', options: [{ name: 'x', color: 'red', description: 'the x' }] },
      Status: { type: 'status', options: ['Todo', 'Doing', 'Done'] },
      DefaultStatus: { type: 'status' },
      Due: { type: 'date' },
      Owner: { type: 'people' },
      Files: { type: 'files' },
      Done: { type: 'checkbox' },
      Link: { type: 'url' },
      Email: { type: 'email' },
      Phone: { type: 'phone_number' },
      Project: { type: 'relation', target: TARGET_DS, dual: 'Tasks' },
      Both: { type: 'relation', target: `collection://${TARGET_DS}`, dual: true },
      Parent: { type: 'relation', target: DS },
      'Open tasks': { type: 'rollup', relation: 'Project', property: 'Done', function: 'count' },
      Score: { type: 'formula', expression: 'prop("Points") * 2' },
      Created: { type: 'created_time' },
      'Created by': { type: 'created_by' },
      Edited: { type: 'last_edited_time' },
      'Edited by': { type: 'last_edited_by' },
      ID: { type: 'unique_id', prefix: 'TASK' },
      Go: { type: 'button' },
    });
    expect(out).toEqual({
      Name: { type: 'title', title: {} },
      Notes: { type: 'rich_text', description: 'Free text', rich_text: {} },
      Points: { type: 'number', number: { format: 'dollar' } },
      Plain: { type: 'number', number: {} },
      Priority: { type: 'select', select: { options: [{ name: 'Low' }, { name: 'High', color: 'red' }] } },
      Tags: { type: 'multi_select', multi_select: { options: [{ name: 'x', color: 'red', description: 'the x' }] } },
      Status: { type: 'status', status: { options: [{ name: 'Todo' }, { name: 'Doing' }, { name: 'Done' }] } },
      DefaultStatus: { type: 'status', status: {} },
      Due: { type: 'date', date: {} },
      Owner: { type: 'people', people: {} },
      Files: { type: 'files', files: {} },
      Done: { type: 'checkbox', checkbox: {} },
      Link: { type: 'url', url: {} },
      Email: { type: 'email', email: {} },
      Phone: { type: 'phone_number', phone_number: {} },
      Project: {
        type: 'relation',
        relation: {
          data_source_id: TARGET_DS,
          type: 'dual_property',
          dual_property: { synced_property_name: 'Tasks' },
        },
      },
      Both: { type: 'relation', relation: { data_source_id: TARGET_DS, type: 'dual_property', dual_property: {} } },
      Parent: {
        type: 'relation',
        relation: {
          data_source_id: '01234567-89ab-cdef-0123-456789abcdef',
          type: 'single_property',
          single_property: {},
        },
      },
      'Open tasks': {
        type: 'rollup',
        rollup: { relation_property_name: 'Project', rollup_property_name: 'Done', function: 'count' },
      },
      Score: { type: 'formula', formula: { expression: 'prop("Points") * 2' } },
      Created: { type: 'created_time', created_time: {} },
      'Created by': { type: 'created_by', created_by: {} },
      Edited: { type: 'last_edited_time', last_edited_time: {} },
      'Edited by': { type: 'last_edited_by', last_edited_by: {} },
      ID: { type: 'unique_id', unique_id: { prefix: 'TASK' } },
      Go: { type: 'button', button: {} },
    });
  });

  it('passes raw Notion schemas through unchanged and accepts type aliases', () => {
    const raw = { select: { options: [{ name: 'a', color: 'blue' }] }, description: 'd' };
    const out = buildCreateSchema({ Name: { title: {} }, S: raw, T: { type: 'text' } });
    expect(out.S).toBe(raw);
    expect(out.Name).toEqual({ title: {} });
    expect(out.T).toEqual({ type: 'rich_text', rich_text: {} });
  });

  it('needs exactly one title', () => {
    expect(err(() => buildCreateSchema({ A: { type: 'rich_text' } })).message).toContain('exactly one title property');
    expect(err(() => buildCreateSchema({ A: { type: 'title' }, B: { title: {} } })).message).toContain('"A", "B"');
  });

  it('refuses removals and renames when creating', () => {
    expect(err(() => buildCreateSchema({ Name: { type: 'title' }, X: null })).details.property).toBe('X');
    expect(err(() => buildCreateSchema({ Name: { type: 'title' }, X: { name: 'Y' } })).message).toContain('update');
  });

  it('explains schema mistakes with choices and an example', () => {
    const t = err(() => buildCreateSchema({ Name: { type: 'title' }, X: { type: 'multiselect2' } }));
    expect(t.details).toMatchObject({ property: 'X', did_you_mean: 'multi_select' });
    expect(t.details.valid_choices).toContain('rollup');
    expect(err(() => buildCreateSchema({ Name: { type: 'title' }, X: { type: 'txt' } })).details.did_you_mean).toBe(
      'rich_text',
    );
    const field = err(() => buildCreateSchema({ Name: { type: 'title' }, N: { type: 'number', fromat: 'dollar' } }));
    expect(field.message).toContain('Did you mean "format"?');
    expect(field.details.example).toEqual({ N: { type: 'number', format: 'dollar' } });
    const fn = err(() =>
      buildCreateSchema({
        Name: { type: 'title' },
        P: { type: 'relation', target: TARGET_DS },
        R: { type: 'rollup', relation: 'P', property: 'x', function: 'summ' },
      }),
    );
    expect(fn.details).toMatchObject({ property: 'R', did_you_mean: 'sum' });
    expect(fn.details.valid_choices).toContain('count');
    const rel = err(() =>
      buildCreateSchema({
        Name: { type: 'title' },
        Projects: { type: 'relation', target: TARGET_DS },
        R: { type: 'rollup', relation: 'Project', property: 'x', function: 'sum' },
      }),
    );
    expect(rel.details).toMatchObject({ valid_choices: ['Projects'], did_you_mean: 'Projects' });
    expect(
      err(() => buildCreateSchema({ Name: { type: 'title' }, P: { type: 'relation', target: 'x' } })).message,
    ).toContain('"target"');
    const color = err(() =>
      buildCreateSchema({ Name: { type: 'title' }, S: { type: 'select', options: [{ name: 'a', color: 'reed' }] } }),
    );
    expect(color.details).toMatchObject({ did_you_mean: 'red' });
    expect(
      err(() => buildCreateSchema({ Name: { type: 'title' }, S: { type: 'select', options: ['a,b'] } })).message,
    ).toContain('commas');
    expect(
      err(() => buildCreateSchema({ Name: { type: 'title' }, S: { type: 'select', options: ['a', 'a'] } })).message,
    ).toContain('repeated');
    expect(err(() => buildCreateSchema({ Name: { type: 'title' }, F: { type: 'formula' } })).details.property).toBe(
      'F',
    );
  });
});

describe('buildUpdateSchema', () => {
  it('renames, removes, adds and changes', () => {
    expect(
      buildUpdateSchema(
        {
          Notes: { name: 'Details' },
          Link: null,
          Estimate: { type: 'number', format: 'percent' },
          Points: { type: 'rich_text', name: 'Points text' },
        },
        schema,
      ),
    ).toEqual({
      Notes: { name: 'Details' },
      Link: null,
      Estimate: { type: 'number', number: { format: 'percent' } },
      Points: { type: 'rich_text', name: 'Points text', rich_text: {} },
    });
  });

  it('without the current schema, passes renames, removals and rollups by name', () => {
    expect(
      buildUpdateSchema({
        A: null,
        B: { name: 'C' },
        R: { type: 'rollup', relation: 'Tasks', property: 'Hours', function: 'sum' },
      }),
    ).toEqual({
      A: null,
      B: { name: 'C' },
      R: {
        type: 'rollup',
        rollup: { relation_property_name: 'Tasks', rollup_property_name: 'Hours', function: 'sum' },
      },
    });
  });

  it('with the current schema: unknown names are refused with the closest one; rollups may name the relation by id', () => {
    const e = err(() => buildUpdateSchema({ Stauts: null }, schema));
    expect(e.details).toMatchObject({ property: 'Stauts', did_you_mean: 'Status' });
    expect(err(() => buildUpdateSchema({ Notse: { name: 'x' } }, schema)).details.did_you_mean).toBe('Notes');
    expect(
      buildUpdateSchema({ R: { type: 'rollup', relation: 'prj', property: 'Hours', function: 'sum' } }, schema),
    ).toEqual({
      R: { type: 'rollup', rollup: { relation_property_id: 'prj', rollup_property_name: 'Hours', function: 'sum' } },
    });
    const notRelation = err(() =>
      buildUpdateSchema({ R: { type: 'rollup', relation: 'Notes', property: 'Hours', function: 'sum' } }, schema),
    );
    expect(notRelation.details.valid_choices).toEqual(['Project']);
  });

  it('keeps the title, and status options are create-only', () => {
    expect(err(() => buildUpdateSchema({ Name: null }, schema)).message).toContain('Rename it instead');
    const s = err(() => buildUpdateSchema({ Status: { type: 'status', options: ['Todo', 'Shipped'] } }, schema));
    expect(s.message).toContain('cannot change the options of an existing status property');
    expect(s.details.valid_choices).toEqual(['Todo', 'Doing', 'Done']);
    expect(buildUpdateSchema({ Stage: { type: 'status', options: ['A', 'B'] } }, schema)).toEqual({
      Stage: { type: 'status', status: { options: [{ name: 'A' }, { name: 'B' }] } },
    });
  });

  it('adds select options to the existing ones unless replace_options', () => {
    expect(
      buildUpdateSchema({ Priority: { type: 'select', options: ['Urgent', { name: 'Low', color: 'gray' }] } }, schema),
    ).toEqual({
      Priority: {
        type: 'select',
        select: {
          options: [
            { id: 'p1', name: 'High', color: 'default' },
            { id: 'p2', name: 'Low', color: 'gray' },
            { name: 'Urgent' },
          ],
        },
      },
    });
    expect(
      buildUpdateSchema({ Priority: { type: 'select', options: ['Urgent'], replace_options: true } }, schema),
    ).toEqual({
      Priority: { type: 'select', select: { options: [{ name: 'Urgent' }] } },
    });
  });
});

describe('compactSchema', () => {
  it('reads a schema in the friendly format, which builds back the same schema', () => {
    const friendly = compactSchema(schema);
    expect(friendly).toMatchObject({
      Name: { type: 'title' },
      Priority: { type: 'select', options: ['High', 'Low'] },
      Status: {
        type: 'status',
        options: ['Todo', 'Doing', 'Done'],
        groups: { 'To-do': ['Todo'], 'In progress': ['Doing'], Complete: ['Done'] },
      },
      Project: { type: 'relation', target: TARGET_DS, dual: 'Tasks' },
      'Open tasks': { type: 'rollup', relation: 'Project', property: 'Name', function: 'count' },
      Score: { type: 'formula', expression: 'prop("Points") * 2' },
      ID: { type: 'unique_id', prefix: 'TASK' },
    });
    expect(friendly.Points).toEqual({ type: 'number' });
    const rebuilt = buildCreateSchema(friendly as Record<string, unknown>);
    expect(Object.keys(rebuilt)).toEqual(Object.keys(schema));
    expect(rebuilt.Status).toEqual({
      type: 'status',
      status: { options: [{ name: 'Todo' }, { name: 'Doing' }, { name: 'Done' }] },
    });
  });
});
