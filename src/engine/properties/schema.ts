/**
 * Friendly schema → Notion property schemas, for creating and updating data sources (and a database's initial
 * data source), and the reverse (`compactSchema`) so a model reads a schema in the same format it writes one.
 *
 *   {"Status": {"type": "status", "options": ["Todo", "Doing", "Done"]},
 *    "Project": {"type": "relation", "target": "<data source id>", "dual": "Tasks"},
 *    "Open tasks": {"type": "rollup", "relation": "Tasks", "property": "Done", "function": "count"},
 *    "Old name": {"name": "New name"},   // update: rename
 *    "Obsolete": null}                   // update: remove
 *
 * A raw Notion schema (`{"select": {"options": […]}}`) passes through unchanged.
 */
import { normaliseUuid } from '../../shared/ids.ts';
import { closest, describe, invalidProperty, quoteList, unknownProperty } from './errors.ts';
import { lookupProperty } from './lookup.ts';
import {
  aliasOf,
  type DataSourceSchema,
  isRecord,
  type NotionCreatePropertySchema,
  type NotionCreateSchema,
  type NotionUpdatePropertySchema,
  type NotionUpdateSchema,
  OPTION_COLORS,
  type OptionColor,
  type PropertySchema,
  type RollupFunction,
  SCHEMA_TYPES,
  type SchemaType,
  TYPE_ALIASES,
} from './types.ts';

/** An option of a select, multi-select or status property: its name, or `{name, color?, description?}`. */
export type FriendlyOption = string | { name: string; color?: OptionColor; description?: string | null; id?: string };

/** One property in the friendly schema format (what `compactSchema` returns and the builders accept). */
export interface FriendlyPropertySchema {
  type: SchemaType;
  /** Update: the property's new name. */
  name?: string;
  description?: string | null;
  /** number: Notion's number format (`number`, `number_with_commas`, `percent`, `dollar`, `euro`, …). */
  format?: string;
  /** select, multi_select, status. */
  options?: FriendlyOption[];
  /** select, multi_select, update: the given options replace the existing ones instead of being added to them. */
  replace_options?: boolean;
  /** status (read only, ignored when writing): option names per group (To-do, In progress, Complete). */
  groups?: Record<string, string[]>;
  /** relation: the related data source's id. */
  target?: string;
  /** relation: true (or the synced property's name) for a two-way relation. */
  dual?: boolean | string;
  /** rollup: the relation property (name or id) in this data source. */
  relation?: string;
  /** rollup: the property (name) of the related data source to roll up. */
  property?: string;
  /** rollup: count, sum, average, … */
  function?: string;
  /** formula. */
  expression?: string;
  /** unique_id: e.g. "TASK" numbers pages TASK-1, TASK-2, … */
  prefix?: string | null;
}

const ROLLUP_FUNCTIONS = [
  'count',
  'count_values',
  'empty',
  'not_empty',
  'unique',
  'show_unique',
  'percent_empty',
  'percent_not_empty',
  'sum',
  'average',
  'median',
  'min',
  'max',
  'range',
  'earliest_date',
  'latest_date',
  'date_range',
  'checked',
  'unchecked',
  'percent_checked',
  'percent_unchecked',
  'count_per_group',
  'percent_per_group',
  'show_original',
] as const satisfies readonly RollupFunction[];
// Every function @notionhq/client knows is listed: a new one in the SDK fails to compile here.
const everyRollupFunction: [Exclude<RollupFunction, (typeof ROLLUP_FUNCTIONS)[number]>] extends [never] ? true : never =
  true;
void everyRollupFunction;

/** Type keys of raw Notion schemas (including types the friendly format does not create). */
const RAW_TYPES: readonly string[] = [...SCHEMA_TYPES, 'place', 'location', 'verification', 'last_visited_time'];

/** Keys a friendly schema of each type may carry besides type, name and description. */
const KEYS: Partial<Record<SchemaType, readonly string[]>> = {
  number: ['format'],
  select: ['options', 'replace_options'],
  multi_select: ['options', 'replace_options'],
  status: ['options', 'groups'],
  relation: ['target', 'dual'],
  rollup: ['relation', 'property', 'function'],
  formula: ['expression'],
  unique_id: ['prefix'],
};

const EXAMPLES: Record<SchemaType, FriendlyPropertySchema> = {
  title: { type: 'title' },
  rich_text: { type: 'rich_text' },
  number: { type: 'number', format: 'dollar' },
  select: { type: 'select', options: ['Low', 'High'] },
  multi_select: { type: 'multi_select', options: [{ name: 'urgent', color: 'red' }, 'later'] },
  status: { type: 'status', options: ['Todo', 'Doing', 'Done'] },
  date: { type: 'date' },
  people: { type: 'people' },
  files: { type: 'files' },
  checkbox: { type: 'checkbox' },
  url: { type: 'url' },
  email: { type: 'email' },
  phone_number: { type: 'phone_number' },
  relation: { type: 'relation', target: '<data source id>', dual: 'Tasks' },
  rollup: { type: 'rollup', relation: 'Tasks', property: 'Done', function: 'count' },
  formula: { type: 'formula', expression: 'prop("Points") * 2' },
  created_time: { type: 'created_time' },
  created_by: { type: 'created_by' },
  last_edited_time: { type: 'last_edited_time' },
  last_edited_by: { type: 'last_edited_by' },
  unique_id: { type: 'unique_id', prefix: 'TASK' },
  button: { type: 'button' },
};

type Mode = 'create' | 'update';

interface Ctx {
  mode: Mode;
  /** The data source's schema before this change (update), when the caller has it. */
  current?: DataSourceSchema;
  /** Every property name of this request, with its friendly or raw type. */
  batch: Map<string, string | undefined>;
}

/**
 * `properties` for `POST /v1/data_sources` or `initial_data_source.properties` of `POST /v1/databases`.
 * Exactly one title property is required (Notion's rule), so the error says so before Notion does.
 */
export function buildCreateSchema(input: Record<string, unknown>): NotionCreateSchema {
  if (!isRecord(input)) throw notAnObject(input);
  const ctx: Ctx = { mode: 'create', batch: batchTypes(input) };
  const out: NotionCreateSchema = {};
  for (const [name, raw] of Object.entries(input)) {
    if (raw === null || (isRecord(raw) && Object.keys(raw).length === 1 && 'name' in raw))
      throw invalidProperty(
        `Property ${JSON.stringify(name)}: ${raw === null ? 'null removes a property' : '{"name"} renames a property'}, which only an update of an existing data source can do. To create it, give its type, e.g. ${describe({ [name]: { type: 'rich_text' } })}.`,
        { property: name, expected: 'a property schema with a type', example: { [name]: { type: 'rich_text' } } },
      );
    // Cast: one property's schema, built for its type (or a raw Notion schema passed through); Notion validates it.
    out[name] = property(name, raw, ctx) as NotionCreatePropertySchema;
  }
  const titles = [...ctx.batch].filter(([, t]) => t === 'title').map(([n]) => n);
  if (titles.length !== 1)
    throw invalidProperty(
      titles.length === 0
        ? `A data source needs exactly one title property (the page name); none was given. Add one, e.g. ${describe({ Name: { type: 'title' } })}.`
        : `A data source has exactly one title property; ${quoteList(titles)} are all titles. Make all but one rich_text.`,
      {
        property: titles[1] ?? 'Name',
        expected: 'exactly one property of type title',
        example: { Name: { type: 'title' } },
      },
    );
  return out;
}

/**
 * `properties` for `PATCH /v1/data_sources/:id`: new or changed properties, renames (`{"name": "New"}`) and
 * removals (`null`). With `current` (the data source's properties as retrieved) unknown names are refused with
 * the closest one, rollups may name their relation by id, status options are checked (Notion cannot change them
 * after creation) and select / multi-select options are merged into the existing ones unless `replace_options`.
 */
export function buildUpdateSchema(input: Record<string, unknown>, current?: DataSourceSchema): NotionUpdateSchema {
  if (!isRecord(input)) throw notAnObject(input);
  const ctx: Ctx = { mode: 'update', current, batch: batchTypes(input) };
  const out: NotionUpdateSchema = {};
  for (const [given, raw] of Object.entries(input)) {
    const existing = current ? lookupProperty(current, given) : undefined;
    const name = existing?.[0] ?? given;
    if (raw === null || (isRecord(raw) && Object.keys(raw).length === 1 && 'name' in raw)) {
      if (current && !existing) throw unknownProperty(given, Object.keys(current));
      if (raw === null) {
        if (existing?.[1].type === 'title')
          throw invalidProperty(
            `Property ${JSON.stringify(name)} is the title property; a data source always keeps one, so it cannot be removed. Rename it instead.`,
            {
              property: name,
              expected: 'a rename ({"name": …}), not a removal',
              example: { [name]: { name: 'Task' } },
            },
          );
        out[name] = null;
        continue;
      }
      out[name] = { name: newName(name, raw.name) };
      continue;
    }
    // Cast: as in buildCreateSchema; the update union differs from the create one only in option ids and status.
    out[name] = property(name, raw, ctx, existing?.[1]) as NotionUpdatePropertySchema;
  }
  return out;
}

function notAnObject(input: unknown) {
  return invalidProperty(`The schema must be an object of property name → property schema, got ${describe(input)}.`, {
    property: '',
    expected: 'an object of property schemas',
    example: { Name: { type: 'title' }, Due: { type: 'date' } },
  });
}

function newName(property: string, name: unknown): string {
  if (typeof name !== 'string' || !name.trim())
    throw invalidProperty(`Property ${JSON.stringify(property)}: a new name must be a non-empty string.`, {
      property,
      expected: 'a non-empty name',
      example: { [property]: { name: 'New name' } },
    });
  return name;
}

/** The type of each entry of a request: friendly `type`, or the raw schema's type key. */
function batchTypes(input: Record<string, unknown>): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  for (const [name, raw] of Object.entries(input)) {
    let t: string | undefined;
    if (isRecord(raw)) {
      const r = rawType(raw);
      t = r ?? (typeof raw.type === 'string' ? aliasOf(raw.type) : undefined);
    }
    out.set(name, t);
  }
  return out;
}

/** The type of a raw Notion schema (`{"select": {…}}`, `{"type": "select", "select": {…}}`), else undefined. */
function rawType(raw: Record<string, unknown>): string | undefined {
  if (typeof raw.type === 'string' && RAW_TYPES.includes(raw.type) && isRecord(raw[raw.type])) return raw.type;
  if (raw.type !== undefined) return undefined;
  const keys = Object.keys(raw).filter((k) => k !== 'name' && k !== 'description');
  return keys.length === 1 && RAW_TYPES.includes(keys[0]!) && isRecord(raw[keys[0]!]) ? keys[0] : undefined;
}

function property(name: string, raw: unknown, ctx: Ctx, existing?: PropertySchema): Record<string, unknown> {
  if (!isRecord(raw))
    throw invalidProperty(
      `Property ${JSON.stringify(name)}: expected a property schema such as {"type": "rich_text"}${ctx.mode === 'update' ? ', {"name": "New name"} to rename or null to remove' : ''}, got ${describe(raw)}.`,
      {
        property: name,
        expected: 'an object with a type',
        valid_choices: [...SCHEMA_TYPES],
        example: { [name]: { type: 'rich_text' } },
      },
    );
  if (rawType(raw) !== undefined) return raw;
  const type = schemaType(name, raw.type);
  const allowed = ['type', 'name', 'description', ...(KEYS[type] ?? [])];
  const extra = Object.keys(raw).filter((k) => !allowed.includes(k));
  if (extra.length)
    throw invalidProperty(
      `Property ${JSON.stringify(name)} (${type}): unknown field ${quoteList(extra)}.${didYouMean(extra[0]!, allowed)} A ${type} property takes ${quoteList(allowed)}. Example: ${describe({ [name]: EXAMPLES[type] })}.`,
      {
        property: name,
        expected: `fields of a ${type} schema`,
        valid_choices: allowed,
        example: { [name]: EXAMPLES[type] },
      },
    );
  const common: Record<string, unknown> = {};
  if (raw.name !== undefined) {
    if (ctx.mode === 'create')
      throw invalidProperty(
        `Property ${JSON.stringify(name)}: "name" renames a property; when creating, the key is the name.`,
        {
          property: name,
          expected: 'no "name" field when creating',
          example: { [name]: EXAMPLES[type] },
        },
      );
    common.name = newName(name, raw.name);
  }
  if (raw.description !== undefined) {
    if (raw.description !== null && typeof raw.description !== 'string')
      throw invalidProperty(`Property ${JSON.stringify(name)}: "description" must be a string or null.`, {
        property: name,
        expected: 'a string description',
        example: { [name]: { ...EXAMPLES[type], description: 'What this property holds' } },
      });
    common.description = raw.description;
  }
  return { ...common, type, [type]: config(name, type, raw, ctx, existing) };
}

function schemaType(name: string, given: unknown): SchemaType {
  const t = typeof given === 'string' ? aliasOf(given) : given;
  const found = SCHEMA_TYPES.find((s) => s === t);
  if (found) return found;
  const near = typeof given === 'string' ? closest(given, [...SCHEMA_TYPES, ...Object.keys(TYPE_ALIASES)]) : undefined;
  const suggestion = near === undefined ? undefined : aliasOf(near);
  throw invalidProperty(
    `Property ${JSON.stringify(name)}: ${given === undefined ? 'no "type" given' : `unknown type ${describe(given)}`}.${suggestion ? ` Did you mean ${JSON.stringify(suggestion)}?` : ''} Types: ${quoteList(SCHEMA_TYPES)}.`,
    {
      property: name,
      expected: 'a property type',
      valid_choices: [...SCHEMA_TYPES],
      ...(suggestion ? { did_you_mean: suggestion } : {}),
      example: { [name]: suggestion ? EXAMPLES[suggestion as SchemaType] : { type: 'rich_text' } },
    },
  );
}

const didYouMean = (given: string, choices: readonly string[]) => {
  const s = closest(given, choices);
  return s ? ` Did you mean ${JSON.stringify(s)}?` : '';
};

function config(
  name: string,
  type: SchemaType,
  raw: Record<string, unknown>,
  ctx: Ctx,
  existing?: PropertySchema,
): Record<string, unknown> {
  const bad = (field: string, expected: string, choices?: readonly string[]) => {
    const given = raw[field];
    const suggestion = typeof given === 'string' && choices ? closest(given, choices) : undefined;
    return invalidProperty(
      `Property ${JSON.stringify(name)} (${type}): "${field}" should be ${expected}, got ${describe(given)}.${suggestion ? ` Did you mean ${JSON.stringify(suggestion)}?` : ''}${choices ? ` Valid: ${quoteList(choices)}.` : ''} Example: ${describe({ [name]: EXAMPLES[type] })}.`,
      {
        property: name,
        expected: `${field}: ${expected}`,
        ...(choices ? { valid_choices: [...choices] } : {}),
        ...(suggestion ? { did_you_mean: suggestion } : {}),
        example: { [name]: EXAMPLES[type] },
      },
    );
  };
  switch (type) {
    case 'number':
      if (raw.format === undefined) return {};
      if (typeof raw.format !== 'string' || !/^[a-z_]+$/.test(raw.format))
        throw bad(
          'format',
          'a Notion number format such as "number", "number_with_commas", "percent", "dollar" or "euro"',
        );
      return { format: raw.format };
    case 'select':
    case 'multi_select':
    case 'status': {
      // Status `groups` (as compactSchema shows them) are Notion's to set: accepted and ignored.
      if (raw.options === undefined) return {};
      const options = friendlyOptions(name, type, raw.options, ctx.mode === 'update', bad);
      if (type === 'status') {
        if (existing?.type === 'status')
          throw invalidProperty(
            `Property ${JSON.stringify(name)} (status): Notion's API cannot change the options of an existing status property (only when it is created). Leave "options" out, or edit them in Notion. Current options: ${quoteList(existing.status.options.map((o) => o.name))}.`,
            {
              property: name,
              expected: 'no options for an existing status property',
              valid_choices: existing.status.options.map((o) => o.name),
              example: { [name]: { type: 'status' } },
            },
          );
        return { options };
      }
      if (raw.replace_options !== undefined && typeof raw.replace_options !== 'boolean')
        throw bad('replace_options', 'true or false');
      if (existing?.type === type && raw.replace_options !== true) return { options: mergeOptions(existing, options) };
      return { options };
    }
    case 'relation': {
      const target =
        typeof raw.target === 'string' ? normaliseUuid(raw.target.replace(/^collection:\/\//, '').trim()) : null;
      if (!target) throw bad('target', 'the id of the related data source (a UUID)');
      const dual = raw.dual;
      if (dual !== undefined && typeof dual !== 'boolean' && (typeof dual !== 'string' || !dual.trim()))
        throw bad('dual', 'true, false or the name of the property to create on the other side');
      if (dual === undefined || dual === false)
        return { data_source_id: target, type: 'single_property', single_property: {} };
      return {
        data_source_id: target,
        type: 'dual_property',
        dual_property: typeof dual === 'string' ? { synced_property_name: dual } : {},
      };
    }
    case 'rollup': {
      if (typeof raw.relation !== 'string' || !raw.relation)
        throw bad('relation', 'the name of a relation property of this data source');
      if (typeof raw.property !== 'string' || !raw.property)
        throw bad('property', 'the name of a property of the related data source');
      const fn = ROLLUP_FUNCTIONS.find((f) => f === raw.function);
      if (!fn) throw bad('function', 'a rollup function', ROLLUP_FUNCTIONS);
      return { ...rollupRelation(name, raw.relation, ctx, bad), rollup_property_name: raw.property, function: fn };
    }
    case 'formula':
      if (typeof raw.expression !== 'string' || !raw.expression.trim())
        throw bad('expression', 'a Notion formula, e.g. prop("Points") * 2');
      return { expression: raw.expression };
    case 'unique_id':
      if (raw.prefix !== undefined && raw.prefix !== null && (typeof raw.prefix !== 'string' || !raw.prefix))
        throw bad('prefix', 'a short string such as "TASK", or null for plain numbers');
      return raw.prefix === undefined ? {} : { prefix: raw.prefix };
    default:
      return {};
  }
}

/** The rollup's relation by name (in this request or the current schema) or, with the current schema, by id. */
function rollupRelation(
  name: string,
  given: string,
  ctx: Ctx,
  bad: (field: string, expected: string, choices?: readonly string[]) => Error,
): Record<string, string> {
  const relations = new Map<string, string | undefined>();
  for (const [n, p] of Object.entries(ctx.current ?? {})) if (p.type === 'relation') relations.set(n, p.id);
  for (const [n, t] of ctx.batch) {
    if (t === 'relation') relations.set(n, relations.get(n));
    else if (t !== undefined) relations.delete(n);
  }
  if (relations.has(given)) return { relation_property_name: given };
  for (const [, id] of relations) if (id !== undefined && id === given) return { relation_property_id: given };
  // Without the current schema an unseen name may still exist in Notion: let Notion decide.
  if (!ctx.current && ctx.mode === 'update') return { relation_property_name: given };
  const names = [...relations.keys()];
  if (!names.length)
    throw invalidProperty(
      `Property ${JSON.stringify(name)} (rollup): this data source has no relation property to roll up through. Create one first, e.g. ${describe({ Tasks: EXAMPLES.relation })}.`,
      {
        property: name,
        expected: 'relation: the name of a relation property',
        valid_choices: [],
        example: { Tasks: EXAMPLES.relation },
      },
    );
  throw bad('relation', 'the name of a relation property of this data source', names);
}

function friendlyOptions(
  name: string,
  type: 'select' | 'multi_select' | 'status',
  raw: unknown,
  update: boolean,
  bad: (field: string, expected: string, choices?: readonly string[]) => Error,
): Array<Record<string, unknown>> {
  if (!Array.isArray(raw)) throw bad('options', 'a list of option names or {"name", "color"} objects');
  const seen = new Set<string>();
  return raw.map((o) => {
    const option: Record<string, unknown> = {};
    if (typeof o === 'string') option.name = o;
    else if (isRecord(o)) {
      const extra = Object.keys(o).filter(
        (k) => !['name', 'color', 'description', ...(update && type !== 'status' ? ['id'] : [])].includes(k),
      );
      if (extra.length)
        throw bad('options', `options with only "name", "color" and "description" (not ${quoteList(extra)})`);
      Object.assign(option, o);
    } else throw bad('options', 'a list of option names or {"name", "color"} objects');
    if (typeof option.name !== 'string' || !option.name.trim()) {
      if (!(update && typeof option.id === 'string')) throw bad('options', 'options with a non-empty "name"');
    } else {
      if (option.name.includes(','))
        throw bad('options', `option names without commas (Notion refuses them): ${describe(option.name)}`);
      if (option.name.length > 100) throw bad('options', 'option names of at most 100 characters');
      if (seen.has(option.name)) throw bad('options', `each option once (${describe(option.name)} is repeated)`);
      seen.add(option.name);
    }
    if (option.color !== undefined && !OPTION_COLORS.includes(option.color as OptionColor)) {
      const suggestion = typeof option.color === 'string' ? closest(option.color, OPTION_COLORS) : undefined;
      throw invalidProperty(
        `Property ${JSON.stringify(name)} (${type}): option color ${describe(option.color)} is not a Notion color.${suggestion ? ` Did you mean ${JSON.stringify(suggestion)}?` : ''} Colors: ${quoteList(OPTION_COLORS)}.`,
        {
          property: name,
          expected: 'an option color',
          valid_choices: [...OPTION_COLORS],
          ...(suggestion ? { did_you_mean: suggestion } : {}),
          example: { [name]: EXAMPLES[type] },
        },
      );
    }
    return option;
  });
}

/** Existing options stay (Notion drops options a schema update leaves out); given ones are added or recoloured. */
function mergeOptions(existing: PropertySchema, given: Array<Record<string, unknown>>): Array<Record<string, unknown>> {
  const current =
    existing.type === 'select'
      ? existing.select.options
      : existing.type === 'multi_select'
        ? existing.multi_select.options
        : [];
  const out: Array<Record<string, unknown>> = current.map((o) => ({ id: o.id, name: o.name, color: o.color }));
  for (const g of given) {
    const i = out.findIndex(
      (o) => (g.id !== undefined && o.id === g.id) || (g.name !== undefined && o.name === g.name),
    );
    if (i >= 0) out[i] = { ...out[i], ...g };
    else out.push(g);
  }
  return out;
}

/** A data source's schema in the friendly format (the reverse of the builders; option names, not ids). */
export function compactSchema(schema: DataSourceSchema): Record<string, FriendlyPropertySchema> {
  const out: Record<string, FriendlyPropertySchema> = {};
  for (const [name, p] of Object.entries(schema)) {
    const f: FriendlyPropertySchema = { type: p.type };
    switch (p.type) {
      case 'number':
        if (p.number.format && p.number.format !== 'number') f.format = p.number.format;
        break;
      case 'select':
        f.options = p.select.options.map((o) => o.name);
        break;
      case 'multi_select':
        f.options = p.multi_select.options.map((o) => o.name);
        break;
      case 'status':
        f.options = p.status.options.map((o) => o.name);
        f.groups = Object.fromEntries(
          p.status.groups.map((g) => [
            g.name,
            g.option_ids.map((id) => p.status.options.find((o) => o.id === id)?.name ?? id),
          ]),
        );
        break;
      case 'relation':
        f.target = p.relation.data_source_id;
        if (p.relation.type === 'dual_property') f.dual = p.relation.dual_property.synced_property_name || true;
        break;
      case 'rollup':
        f.relation = p.rollup.relation_property_name;
        f.property = p.rollup.rollup_property_name;
        f.function = p.rollup.function;
        break;
      case 'formula':
        f.expression = p.formula.expression;
        break;
      case 'unique_id':
        if (p.unique_id.prefix) f.prefix = p.unique_id.prefix;
        break;
    }
    if (p.description) f.description = p.description;
    out[name] = f;
  }
  return out;
}

/**
 * A data source's schema in one string per property, for search hits (read many at a time): the type, a select's,
 * multi_select's or status's options (Notion refuses commas in option names, so ", " separates them unambiguously),
 * a relation's target data source. `compactSchema` (notion_data_source_get) keeps the rest: formats, groups,
 * rollup and formula definitions, descriptions.
 */
export function schemaSummary(schema: DataSourceSchema): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, p] of Object.entries(schema)) {
    const options =
      p.type === 'select'
        ? p.select.options
        : p.type === 'multi_select'
          ? p.multi_select.options
          : p.type === 'status'
            ? p.status.options
            : undefined;
    if (options?.length) out[name] = `${p.type}: ${options.map((o) => o.name).join(', ')}`;
    else if (p.type === 'relation') out[name] = `relation: ${p.relation.data_source_id}`;
    else out[name] = p.type;
  }
  return out;
}
