import { describe, expect, it } from 'vitest';
import { buildPropertyValues, pageIdOf } from '../../src/engine/properties/index.ts';
import { GatewayError } from '../../src/shared/errors.ts';
import { gatewayError } from '../support/errors.ts';
import { PAGE_ID, schema, TARGET_DS, USER_ID } from './properties-fixture.ts';

const build = (input: Record<string, unknown>, options = {}) => buildPropertyValues(input, schema, options);
const PAGE_UUID = '01234567-89ab-cdef-0123-456789abcdef';

describe('buildPropertyValues: friendly and shorthand values', () => {
  it('turns the friendly form and the shorthand into the same Notion value', async () => {
    const friendly = await build({ Due: { type: 'date', value: '2026-01-10' } });
    const short = await build({ Due: '2026-01-10' });
    expect(friendly).toEqual({ Due: { date: { start: '2026-01-10' } } });
    expect(short).toEqual(friendly);
  });

  it('writes every writable type from its shorthand', async () => {
    const out = await build({
      Name: 'Write the report',
      Notes: 'plain *text*',
      Points: 3,
      Priority: 'High',
      Tags: ['backend', 'frontend'],
      Status: 'Done',
      Due: { start: '2026-01-10', end: '2026-01-12' },
      Owner: [USER_ID],
      Attachments: ['https://example.com/files/report%20v2.pdf'],
      Done: true,
      Link: 'https://example.com',
      Email: 'ada@example.com',
      Phone: '+1 555 0100',
      Project: [`https://www.notion.so/acme/Launch-${PAGE_ID}?pvs=4`],
    });
    expect(out).toEqual({
      Name: { title: [{ type: 'text', text: { content: 'Write the report' } }] },
      Notes: { rich_text: [{ type: 'text', text: { content: 'plain *text*' } }] },
      Points: { number: 3 },
      Priority: { select: { name: 'High' } },
      Tags: { multi_select: [{ name: 'backend' }, { name: 'frontend' }] },
      Status: { status: { name: 'Done' } },
      Due: { date: { start: '2026-01-10', end: '2026-01-12' } },
      Owner: { people: [{ id: USER_ID }] },
      Attachments: {
        files: [{ name: 'report v2.pdf', external: { url: 'https://example.com/files/report%20v2.pdf' } }],
      },
      Done: { checkbox: true },
      Link: { url: 'https://example.com' },
      Email: { email: 'ada@example.com' },
      Phone: { phone_number: '+1 555 0100' },
      Project: { relation: [{ id: PAGE_UUID }] },
    });
  });

  it('passes native Notion values through unchanged', async () => {
    const native = {
      Name: { title: [{ text: { content: 'x' }, annotations: { underline: true } }] },
      Due: { type: 'date', date: { start: '2026-01-10', time_zone: 'Europe/Paris' } },
      Priority: { select: { id: 'p2' } },
      Project: { relation: [{ id: PAGE_ID }] },
    };
    const out = await build(native);
    expect(out).toEqual(native);
    expect(out.Name).toBe(native.Name);
  });

  it('reads a shorthand put under the type key as shorthand', async () => {
    expect(
      await build({
        Name: { title: 'Launch' },
        Priority: { type: 'select', select: 'high' },
        Tags: { multi_select: ['backend'] },
        Due: { date: '2026-01-10' },
        Project: { relation: [PAGE_ID] },
      }),
    ).toEqual({
      Name: { title: [{ type: 'text', text: { content: 'Launch' } }] },
      Priority: { select: { name: 'High' } },
      Tags: { multi_select: [{ name: 'backend' }] },
      Due: { date: { start: '2026-01-10' } },
      Project: { relation: [{ id: PAGE_UUID }] },
    });
  });

  it('clears values with null and empty strings', async () => {
    expect(
      await build({
        Points: null,
        Priority: null,
        Status: '',
        Due: null,
        Link: '',
        Tags: null,
        Name: null,
        Owner: null,
      }),
    ).toEqual({
      Points: { number: null },
      Priority: { select: null },
      Status: { status: null },
      Due: { date: null },
      Link: { url: null },
      Tags: { multi_select: [] },
      Name: { title: [] },
      Owner: { people: [] },
    });
  });

  it('is lenient where the meaning is certain', async () => {
    const out = await build({
      points: '3.5',
      'DONE ': 'false',
      Tags: 'backend, Frontend',
      Priority: 'high',
      Name: 42,
      Phone: 5550100,
      Due: ['2026-01-10', '2026-01-11'],
      Owner: { id: USER_ID.replaceAll('-', '') },
      Project: PAGE_ID,
    });
    expect(out).toEqual({
      Points: { number: 3.5 },
      Done: { checkbox: false },
      Tags: { multi_select: [{ name: 'backend' }, { name: 'frontend' }] },
      Priority: { select: { name: 'High' } },
      Name: { title: [{ type: 'text', text: { content: '42' } }] },
      Phone: { phone_number: '5550100' },
      Due: { date: { start: '2026-01-10', end: '2026-01-11' } },
      Owner: { people: [{ id: USER_ID }] },
      Project: { relation: [{ id: PAGE_UUID }] },
    });
  });

  it('takes one shorthand object where a list is expected', async () => {
    expect(
      await build(
        {
          Attachments: { url: 'https://example.com/a.pdf', name: 'Spec' },
          Project: { title: 'Launch' },
          Owner: { email: 'ada@example.com' },
        },
        { resolveUser: () => USER_ID, resolvePage: () => PAGE_ID },
      ),
    ).toEqual({
      Attachments: { files: [{ name: 'Spec', external: { url: 'https://example.com/a.pdf' } }] },
      Project: { relation: [{ id: PAGE_UUID }] },
      Owner: { people: [{ id: USER_ID }] },
    });
  });

  it('finds properties by id', async () => {
    expect(await build({ 'n:b': 'x', pts: 1 })).toEqual({
      Notes: { rich_text: [{ type: 'text', text: { content: 'x' } }] },
      Points: { number: 1 },
    });
  });

  it('adds new select and multi-select options (as Notion does) unless createOptions is false', async () => {
    expect(await build({ Priority: 'Urgent', Tags: ['backend', 'ops'] })).toEqual({
      Priority: { select: { name: 'Urgent' } },
      Tags: { multi_select: [{ name: 'backend' }, { name: 'ops' }] },
    });
    const e = await gatewayError(build({ Tags: ['ops'] }, { createOptions: false }));
    expect(e.message).toContain('Notion would create it as a new option');
  });

  it('splits long text into items of at most 2,000 characters', async () => {
    const long = 'é'.repeat(4500);
    const out = await build({ Notes: long });
    const items = (out.Notes as { rich_text: Array<{ text: { content: string } }> }).rich_text;
    expect(items.map((i) => i.text.content.length)).toEqual([2000, 2000, 500]);
    expect(items.map((i) => i.text.content).join('')).toBe(long);
    // A surrogate pair is never cut in half.
    const emoji = `${'a'.repeat(1999)}😀b`;
    const parts = (
      (await build({ Notes: emoji })).Notes as { rich_text: Array<{ text: { content: string } }> }
    ).rich_text.map((i) => i.text.content);
    expect(parts).toEqual(['a'.repeat(1999), '😀b']);
  });

  it('reads Markdown spans when asked, per call or per value', async () => {
    const spans = [
      { type: 'text', text: { content: 'bold' }, annotations: { bold: true } },
      { type: 'text', text: { content: ' and ' } },
      { type: 'text', text: { content: 'link', link: { url: 'https://x.dev' } } },
    ];
    expect(await build({ Notes: '**bold** and [link](https://x.dev)' }, { markdown: true })).toEqual({
      Notes: { rich_text: spans },
    });
    expect(await build({ Notes: { value: '**bold** and [link](https://x.dev)', markdown: true } })).toEqual({
      Notes: { rich_text: spans },
    });
  });

  it('resolves people by email and relations by title through the callbacks', async () => {
    const out = await build(
      { Owner: ['ada@example.com', USER_ID], Project: [{ title: 'Launch' }, 'Launch'] },
      {
        resolveUser: async (email: string) => (email === 'ada@example.com' ? USER_ID : null),
        resolvePage: async (title: string, ds: string) => (title === 'Launch' && ds === TARGET_DS ? PAGE_ID : null),
      },
    );
    expect(out).toEqual({ Owner: { people: [{ id: USER_ID }] }, Project: { relation: [{ id: PAGE_UUID }] } });
  });
});

describe('buildPropertyValues: errors a model can fix', () => {
  const err = async (input: Record<string, unknown>, options = {}) => {
    const e = await gatewayError(build(input, options));
    expect(e).toBeInstanceOf(GatewayError);
    expect(e.code).toBe('invalid_property');
    expect(e.status).toBe(400);
    return e;
  };

  it('unknown property: lists the names and suggests the closest', async () => {
    const e = await err({ Stauts: 'Done' });
    expect(e.message).toContain('"Stauts"');
    expect(e.message).toContain('Did you mean "Status"?');
    expect(e.message).toContain('"Priority"');
    expect(e.details).toMatchObject({ property: 'Stauts', did_you_mean: 'Status' });
    expect(e.details.valid_choices).toEqual(Object.keys(schema));
  });

  it('wrong value type: says what was expected and gives a corrected example', async () => {
    const cases: Array<[string, unknown, unknown]> = [
      ['Points', 'three', 3],
      ['Done', 'maybe', true],
      ['Due', '10/01/2026', '2026-01-10'],
      ['Due', { start: '2026-02-30' }, '2026-01-10'],
      ['Due', { start: '2026-01-10', end: '2026-01-01' }, '2026-01-10'],
      ['Email', 'not-an-email', 'ada@example.com'],
      ['Owner', ['Ada'], ['<user id>']],
      ['Attachments', ['ftp://x/y'], ['https://example.com/report.pdf']],
      ['Project', ['https://example.com/page'], ['<page id or Notion page URL>']],
      ['Name', { bad: 1 }, 'Write the report'],
      ['Tags', 7, ['backend', 'frontend']],
    ];
    for (const [property, value, example] of cases) {
      const e = await err({ [property]: value });
      expect(e.message, property).toContain(`Property "${property}"`);
      expect(e.message, property).toContain('expected');
      expect(e.details, property).toMatchObject({ property, example: { [property]: example } });
      expect(typeof e.details.expected).toBe('string');
    }
  });

  it('a friendly type that does not match the schema names the real type', async () => {
    const e = await err({ Due: { type: 'number', value: 3 } });
    expect(e.message).toContain('"Due" is a date property');
    expect(e.details).toMatchObject({ property: 'Due', example: { Due: '2026-01-10' } });
    const native = await err({ Status: { select: { name: 'Done' } } });
    expect(native.message).toContain('"Status" is a status property, not "select"');
  });

  it('unknown status option: lists the options and says Notion will not create it', async () => {
    const e = await err({ Status: 'Shipped' });
    expect(e.message).toContain('"Status" (status) has no option "Shipped"');
    expect(e.message).toContain('"Todo", "Doing", "Done"');
    expect(e.message).toContain('never creates status options');
    expect(e.details).toMatchObject({
      property: 'Status',
      valid_choices: ['Todo', 'Doing', 'Done'],
      example: { Status: 'Todo' },
    });
    const near = await err({ Status: 'Dones' });
    expect(near.details.did_you_mean).toBe('Done');
  });

  it('unknown select option with createOptions false: lists the options', async () => {
    const e = await err({ Priority: 'Hihg' }, { createOptions: false });
    expect(e.message).toContain('"High", "Low"');
    expect(e.details).toMatchObject({ property: 'Priority', valid_choices: ['High', 'Low'], did_you_mean: 'High' });
    const byId = await err({ Priority: { id: 'nope' } });
    expect(byId.details.valid_choices).toEqual(['High', 'Low']);
  });

  it('option names with commas are refused', async () => {
    const e = await err({ Priority: 'a, b' });
    expect(e.message).toContain('cannot contain commas');
  });

  it('computed properties cannot be written', async () => {
    for (const property of ['Score', 'Open tasks', 'Created', 'Created by', 'Edited', 'Edited by', 'ID']) {
      const e = await err({ [property]: 1 });
      expect(e.message).toContain(`Property "${property}"`);
      expect(e.message).toContain('Notion computes its value');
      expect(e.details.valid_choices).toContain('Name');
      expect(e.details.valid_choices).not.toContain('Score');
    }
  });

  it('emails need a resolver; titles need a resolver; unknown ones are named', async () => {
    expect((await err({ Owner: ['ada@example.com'] })).message).toContain('GET /v1/users');
    expect((await err({ Project: ['Launch'] })).message).toContain('cannot look pages up by title');
    const none = await err({ Owner: ['bob@example.com'] }, { resolveUser: () => null });
    expect(none.message).toContain('bob@example.com');
    const noPage = await err({ Project: ['Nope'] }, { resolvePage: () => undefined });
    expect(noPage.message).toContain(TARGET_DS);
  });

  it('the same property twice is refused', async () => {
    const e = await err({ Status: 'Done', status: 'Todo' });
    expect(e.message).toContain('both name the property "Status"');
  });

  it('too many items and too much text are refused with the limit', async () => {
    const ids = Array.from({ length: 101 }, (_, i) => `${String(i).padStart(8, '0')}-0000-0000-0000-000000000000`);
    expect((await err({ Project: ids })).message).toContain('at most 100');
    expect((await err({ Notes: 'x'.repeat(200_001) })).message).toContain('too long');
  });
});

describe('pageIdOf', () => {
  it('reads ids and Notion URLs, nothing else', () => {
    expect(pageIdOf(PAGE_ID)).toBe(PAGE_UUID);
    expect(pageIdOf(PAGE_UUID.toUpperCase())).toBe(PAGE_UUID);
    expect(pageIdOf(`https://www.notion.so/${PAGE_ID}`)).toBe(PAGE_UUID);
    expect(pageIdOf(`https://acme.notion.site/Title-${PAGE_ID}#abc`)).toBe(PAGE_UUID);
    expect(pageIdOf(`https://www.notion.so/ws/${'f'.repeat(32)}?v=1&p=${PAGE_ID}`)).toBe(PAGE_UUID);
    expect(pageIdOf(`https://evil.example/${PAGE_ID}`)).toBeNull();
    expect(pageIdOf('Launch')).toBeNull();
  });
});
