// Properties: data-source schemas (create/update configs) and page property values
// (validation of writes, rendering, computed values: formula, rollup, timestamps, unique_id).

import { validation } from './errors.ts';
import { attachFileUpload } from './file-uploads.ts';
import { plainText, TEXT_COLORS, toRichText } from './richtext.ts';
import type {
  FormulaValueResponse,
  PagePropertyValue,
  PropertySchemaResponse,
  PropertyValueOf,
  PropertyValueWithoutId,
  RollupArrayItem,
  RollupConfigResponse,
  RollupFunction,
  RollupValueResponse,
  SelectColor,
  SelectOptionResponse,
  StatusConfigResponse,
} from './sdk.ts';
import type { DataSourceRec, PageRec, PropertySchema, Workspace } from './store.ts';
import { describe, isObject, normalizeId, tick } from './util.ts';

export const TITLE_ID = 'title';

export const WRITABLE_TYPES = [
  'title',
  'rich_text',
  'number',
  'select',
  'multi_select',
  'status',
  'date',
  'people',
  'files',
  'checkbox',
  'url',
  'email',
  'phone_number',
  'relation',
];
/** Types whose values Notion computes; writes are rejected. */
export const COMPUTED_TYPES = [
  'formula',
  'rollup',
  'created_time',
  'last_edited_time',
  'created_by',
  'last_edited_by',
  'unique_id',
  'button',
];
export const SCHEMA_TYPES = [...WRITABLE_TYPES, ...COMPUTED_TYPES];

const COLORS: readonly SelectColor[] = TEXT_COLORS;
const colorOf = (raw: unknown): SelectColor | undefined => COLORS.find((c) => c === raw);

/** Every function the SDK's RollupFunction allows; the sandbox computes most of them (others → `unsupported`). */
const ROLLUP_FUNCTIONS: readonly RollupFunction[] = [
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
];
const ID_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:;<=>?@[]^_`{|}~';

function shortId(taken: Set<string>): string {
  for (;;) {
    let s = '';
    for (let i = 0; i < 4; i++) s += ID_CHARS[Math.floor(Math.random() * ID_CHARS.length)];
    // Notion property ids are URL-encoded in responses (e.g. "%3AUPp").
    const id = encodeURIComponent(s);
    if (!taken.has(id)) return id;
  }
}

export function dataSourceOf(ws: Workspace, page: PageRec): DataSourceRec | null {
  return page.parent.type === 'data_source_id' ? (ws.content.dataSources[page.parent.id] ?? null) : null;
}

/** Finds a property by name or by id (raw or URL-decoded), like Notion's filter/sort/filter_properties lookups. */
export function findProp(ds: DataSourceRec, key: string): PropertySchema | undefined {
  return (
    ds.properties.find((p) => p.name === key) ??
    ds.properties.find((p) => p.id === key || decodeURIComponent(p.id) === key || p.id === encodeURIComponent(key))
  );
}

// ---------------------------------------------------------------------------------------------
// Schema

function options(raw: unknown, path: string, existing: SelectOptionResponse[] = []): SelectOptionResponse[] {
  if (raw === undefined) return existing;
  if (!Array.isArray(raw)) throw validation(`${path} should be an array, instead was ${describe(raw)}.`);
  const taken = new Set(existing.map((o) => o.id));
  return raw.map((o, i) => {
    if (!isObject(o)) throw validation(`${path}[${i}] should be an object, instead was ${describe(o)}.`);
    const prev = existing.find(
      (e) => (o.id !== undefined && e.id === o.id) || (o.name !== undefined && e.name === o.name),
    );
    if (!prev && typeof o.name !== 'string')
      throw validation(`${path}[${i}].name should be a string, instead was ${describe(o.name)}.`);
    if (typeof o.name === 'string' && o.name.includes(','))
      throw validation(`${path}[${i}].name: option names cannot contain commas.`);
    if (o.color !== undefined && !colorOf(o.color))
      throw validation(`${path}[${i}].color should be one of ${COLORS.join(', ')}, instead was ${describe(o.color)}.`);
    if (o.description !== undefined && o.description !== null && typeof o.description !== 'string')
      throw validation(`${path}[${i}].description should be a string or null, instead was ${describe(o.description)}.`);
    const id = prev?.id ?? shortId(taken);
    taken.add(id);
    return {
      id,
      name: typeof o.name === 'string' ? o.name : prev!.name,
      color: colorOf(o.color) ?? prev?.color ?? 'default',
      description: (o.description as string | null | undefined) ?? prev?.description ?? null,
    };
  });
}

function defaultStatus(): StatusConfigResponse {
  const opts: SelectOptionResponse[] = [
    { id: 'not-started', name: 'Not started', color: 'default', description: null },
    { id: 'in-progress', name: 'In progress', color: 'blue', description: null },
    { id: 'done', name: 'Done', color: 'green', description: null },
  ];
  return {
    options: opts,
    groups: [
      { id: 'to-do', name: 'To-do', color: 'gray', option_ids: ['not-started'] },
      { id: 'in-progress-group', name: 'In progress', color: 'blue', option_ids: ['in-progress'] },
      { id: 'complete', name: 'Complete', color: 'green', option_ids: ['done'] },
    ],
  };
}

/** Which type a property-config request asks for: explicit `type`, else the one type key present. */
function configType(raw: Record<string, unknown>, path: string): string {
  const t = (raw.type as string | undefined) ?? Object.keys(raw).find((k) => SCHEMA_TYPES.includes(k));
  if (!t) {
    const other = Object.keys(raw).find((k) => k !== 'name' && k !== 'description' && k !== 'type');
    throw validation(
      `${path} should define a property type (${SCHEMA_TYPES.join(', ')}), instead was ${describe(other ?? raw)}.`,
    );
  }
  if (!SCHEMA_TYPES.includes(t)) throw validation(`${path}.type ${describe(t)} is not supported by the sandbox.`);
  return t;
}

export interface SchemaCtx {
  ws: Workspace;
  ds: DataSourceRec;
  /** Dual relations to create in other data sources once this schema change is accepted. */
  pendingDuals: Array<{ target: DataSourceRec; prop: PropertySchema; syncedName?: string }>;
  creatingStatus: boolean;
}

/** Builds (or rebuilds) one property's schema from a create/update request. */
export function buildProperty(
  sc: SchemaCtx,
  name: string,
  raw: Record<string, unknown>,
  path: string,
  prev?: PropertySchema,
): PropertySchema {
  const type = configType(raw, path);
  const cfg = raw[type];
  if (cfg !== undefined && !isObject(cfg))
    throw validation(`${path}.${type} should be an object, instead was ${describe(cfg)}.`);
  const c = (cfg ?? {}) as Record<string, unknown>;
  const sameType = prev?.type === type;
  const prevCfg = sameType ? prev.config : {};
  let config: Record<string, unknown> = {};
  switch (type) {
    case 'number':
      config = { format: (c.format as string | undefined) ?? (prevCfg.format as string | undefined) ?? 'number' };
      break;
    case 'select':
    case 'multi_select':
      config = {
        options: options(
          c.options,
          `${path}.${type}.options`,
          (prevCfg.options as SelectOptionResponse[] | undefined) ?? [],
        ),
      };
      break;
    case 'status':
      if (prev && sameType && c.options !== undefined)
        // Notion's docs: status options cannot be updated through the API (the SDK types allow it; we follow the docs).
        throw validation(`${path}.status.options: the options of a status property cannot be updated via the API.`);
      if (prev && sameType) config = prevCfg;
      else if (c.options !== undefined) {
        const opts = options(c.options, `${path}.status.options`);
        config = {
          options: opts,
          groups: [
            { id: 'to-do', name: 'To-do', color: 'gray', option_ids: opts.slice(0, 1).map((o) => o.id) },
            {
              id: 'in-progress-group',
              name: 'In progress',
              color: 'blue',
              option_ids: opts.slice(1, -1).map((o) => o.id),
            },
            {
              id: 'complete',
              name: 'Complete',
              color: 'green',
              option_ids: opts.length > 1 ? [opts[opts.length - 1]!.id] : [],
            },
          ],
        } satisfies StatusConfigResponse;
      } else config = defaultStatus();
      break;
    case 'formula':
      if (typeof (c.expression ?? prevCfg.expression) !== 'string')
        throw validation(`${path}.formula.expression should be a string, instead was ${describe(c.expression)}.`);
      config = { expression: (c.expression as string | undefined) ?? prevCfg.expression };
      break;
    case 'unique_id':
      config = {
        prefix: (c.prefix as string | null | undefined) ?? (prevCfg.prefix as string | null | undefined) ?? null,
      };
      break;
    case 'relation': {
      const targetId = normalizeId(c.data_source_id);
      if (!targetId)
        throw validation(
          `${path}.relation.data_source_id should be a valid uuid, instead was ${describe(c.data_source_id)}.`,
        );
      const target = sc.ws.content.dataSources[targetId];
      if (!target)
        throw validation(`${path}.relation.data_source_id: could not find data source with ID: ${targetId}.`);
      const dual = c.type === 'dual_property' || (c.type === undefined && c.dual_property !== undefined);
      config = {
        data_source_id: target.id,
        database_id: target.database_id,
        type: dual ? 'dual_property' : 'single_property',
      };
      if (dual) {
        const dp = isObject(c.dual_property) ? c.dual_property : {};
        const keep = sameType && prevCfg.type === 'dual_property' && prevCfg.data_source_id === target.id;
        config.dual_property = keep ? prevCfg.dual_property : { synced_property_id: '', synced_property_name: '' };
        if (!keep)
          sc.pendingDuals.push({
            target,
            prop: undefined as never,
            syncedName: dp.synced_property_name as string | undefined,
          });
      } else config.single_property = {};
      break;
    }
    case 'rollup': {
      const relKey = (c.relation_property_id ?? c.relation_property_name) as string | undefined;
      const rel = relKey ? findProp(sc.ds, relKey) : undefined;
      if (rel?.type !== 'relation')
        throw validation(`${path}.rollup: relation property ${describe(relKey)} does not exist in this data source.`);
      const target = sc.ws.content.dataSources[rel.config.data_source_id as string];
      const rKey = (c.rollup_property_id ?? c.rollup_property_name) as string | undefined;
      const rp = target && rKey ? findProp(target, rKey) : undefined;
      if (!rp)
        throw validation(
          `${path}.rollup: rollup property ${describe(rKey)} does not exist in the related data source.`,
        );
      const fn = ROLLUP_FUNCTIONS.find((f) => f === c.function);
      if (!fn)
        throw validation(
          `${path}.rollup.function should be one of ${ROLLUP_FUNCTIONS.join(', ')}, instead was ${describe(c.function)}.`,
        );
      config = {
        relation_property_id: rel.id,
        relation_property_name: rel.name,
        rollup_property_id: rp.id,
        rollup_property_name: rp.name,
        function: fn,
      } satisfies RollupConfigResponse;
      break;
    }
    default:
      config = {};
  }
  const taken = new Set(sc.ds.properties.map((p) => p.id));
  const prop: PropertySchema = {
    id: prev?.id ?? (type === 'title' ? TITLE_ID : shortId(taken)),
    name,
    type,
    description: (raw.description as string | null | undefined) ?? prev?.description ?? null,
    config,
  };
  const pending = sc.pendingDuals[sc.pendingDuals.length - 1];
  if (pending && pending.prop === undefined) pending.prop = prop;
  return prop;
}

/** After a schema change is accepted: creates the synced side of new dual relations, backfills unique ids. */
export function finishSchema(sc: SchemaCtx): void {
  for (const d of sc.pendingDuals) {
    const taken = new Set(d.target.properties.map((p) => p.id));
    const name = d.syncedName ?? `Related to ${plainText(sc.ds.title) || 'Untitled'} (${d.prop.name})`;
    const synced: PropertySchema = {
      id: shortId(taken),
      name,
      type: 'relation',
      description: null,
      config: {
        data_source_id: sc.ds.id,
        database_id: sc.ds.database_id,
        type: 'dual_property',
        dual_property: { synced_property_id: d.prop.id, synced_property_name: d.prop.name },
      },
    };
    d.target.properties.push(synced);
    d.prop.config.dual_property = { synced_property_id: synced.id, synced_property_name: synced.name };
  }
  for (const p of sc.ds.properties) {
    if (p.type !== 'unique_id') continue;
    const pages = Object.values(sc.ws.content.pages)
      .filter((pg) => pg.parent.type === 'data_source_id' && pg.parent.id === sc.ds.id && pg.props[p.id] === undefined)
      .sort((a, b) => a.created_time.localeCompare(b.created_time));
    for (const pg of pages) pg.props[p.id] = nextUnique(sc.ds, p);
  }
}

function nextUnique(ds: DataSourceRec, p: PropertySchema): { prefix: string | null; number: number } {
  const n = (ds.counters[p.id] ?? 0) + 1;
  ds.counters[p.id] = n;
  return { prefix: (p.config.prefix as string | null) ?? null, number: n };
}

/** Renders one property schema the way GET /v1/data_sources answers it. */
export function propertySchemaJson(ws: Workspace, p: PropertySchema): PropertySchemaResponse {
  let config = p.config;
  if (p.type === 'relation' && p.config.type === 'dual_property') {
    // The synced property's name is looked up live so renames on the other side show up.
    const dp = p.config.dual_property as { synced_property_id: string; synced_property_name: string };
    const other = ws.content.dataSources[p.config.data_source_id as string]?.properties.find(
      (x) => x.id === dp.synced_property_id,
    );
    config = {
      ...p.config,
      dual_property: {
        synced_property_id: dp.synced_property_id,
        synced_property_name: other?.name ?? dp.synced_property_name,
      },
    };
  }
  if (p.type === 'rollup') {
    const ds = Object.values(ws.content.dataSources).find((d) => d.properties.includes(p));
    const rel = ds?.properties.find((x) => x.id === p.config.relation_property_id);
    const target = rel ? ws.content.dataSources[rel.config.data_source_id as string] : undefined;
    const rp = target?.properties.find((x) => x.id === p.config.rollup_property_id);
    config = {
      ...p.config,
      relation_property_name: rel?.name ?? p.config.relation_property_name,
      rollup_property_name: rp?.name ?? p.config.rollup_property_name,
    };
  }
  // Cast: the config sits under a key only known at run time (p.type); buildProperty() builds each type's config.
  // `button` schemas are not in the SDK's DatabasePropertyConfigResponse union at all (see README).
  return {
    id: p.id,
    name: p.name,
    description: p.description,
    type: p.type,
    [p.type]: config,
  } as PropertySchemaResponse;
}

export function schemaJson(ws: Workspace, ds: DataSourceRec): Record<string, PropertySchemaResponse> {
  return Object.fromEntries(ds.properties.map((p) => [p.name, propertySchemaJson(ws, p)]));
}

// ---------------------------------------------------------------------------------------------
// Values

export function pageTitle(_ws: Workspace, page: PageRec): string {
  return plainText(page.props[TITLE_ID]);
}

function selectValue(
  ds: DataSourceRec,
  prop: PropertySchema,
  raw: unknown,
  path: string,
  allowCreate: boolean,
): PropertyValueOf<'multi_select'>[number] {
  if (!isObject(raw)) throw validation(`${path} should be an object, instead was ${describe(raw)}.`);
  const opts = (prop.config.options as SelectOptionResponse[] | undefined) ?? [];
  let opt = opts.find(
    (o) => (raw.id !== undefined && o.id === raw.id) || (raw.name !== undefined && o.name === raw.name),
  );
  if (!opt) {
    if (!allowCreate || typeof raw.name !== 'string')
      throw validation(
        `${path}: invalid ${prop.type} option ${describe(raw.name ?? raw.id)} for property "${prop.name}".`,
      );
    if (raw.name.includes(',')) throw validation(`${path}.name: option names cannot contain commas.`);
    if (raw.color !== undefined && !colorOf(raw.color))
      throw validation(`${path}.color should be one of ${COLORS.join(', ')}, instead was ${describe(raw.color)}.`);
    // Like Notion, writing an unknown select / multi-select name adds the option to the schema.
    opt = {
      id: shortId(new Set(opts.map((o) => o.id))),
      name: raw.name,
      color: colorOf(raw.color) ?? 'default',
      description: null,
    };
    opts.push(opt);
    prop.config.options = opts;
    ds.last_edited_time = tick();
  }
  return { id: opt.id, name: opt.name, color: opt.color };
}

function isDate(s: unknown): s is string {
  return typeof s === 'string' && /^\d{4}-\d{2}-\d{2}/.test(s) && !Number.isNaN(Date.parse(s));
}

type WritableType =
  | 'title'
  | 'rich_text'
  | 'number'
  | 'select'
  | 'multi_select'
  | 'status'
  | 'date'
  | 'people'
  | 'files'
  | 'checkbox'
  | 'url'
  | 'email'
  | 'phone_number'
  | 'relation';
/** What page.props holds for a written property: its value payload in response shape. */
type StoredValue = PropertyValueOf<WritableType>;

/** Validates one written value; returns the stored form. */
function coerceValue(
  ws: Workspace,
  ds: DataSourceRec | null,
  prop: PropertySchema,
  raw: unknown,
  path: string,
): StoredValue {
  const want = (what: string, v: unknown) =>
    validation(
      `${path} should be ${what}, instead was ${describe(v)}. (property "${prop.name}" is of type ${prop.type})`,
    );
  switch (prop.type) {
    case 'title':
    case 'rich_text':
      return toRichText(raw, path, ws);
    case 'number':
      if (raw !== null && (typeof raw !== 'number' || !Number.isFinite(raw))) throw want('a number or null', raw);
      return raw;
    case 'checkbox':
      if (typeof raw !== 'boolean') throw want('a boolean', raw);
      return raw;
    case 'url':
    case 'email':
    case 'phone_number':
      if (raw !== null && typeof raw !== 'string') throw want('a string or null', raw);
      if (typeof raw === 'string' && raw.length > 2000)
        throw validation(`${path}.length should be ≤ \`2000\`, instead was \`${raw.length}\`.`);
      return raw === '' ? null : raw;
    case 'select':
    case 'status':
      return raw === null ? null : selectValue(ds!, prop, raw, path, prop.type === 'select');
    case 'multi_select':
      if (!Array.isArray(raw)) throw want('an array', raw);
      return raw.map((o, i) => selectValue(ds!, prop, o, `${path}[${i}]`, true));
    case 'date': {
      if (raw === null) return null;
      if (!isObject(raw) || !isDate(raw.start)) throw want('a date object with an ISO 8601 `start`', raw);
      if (raw.end !== undefined && raw.end !== null && !isDate(raw.end))
        throw want('an ISO 8601 date for `end`', raw.end);
      return {
        start: raw.start,
        end: (raw.end as string | null | undefined) ?? null,
        time_zone: (raw.time_zone as string | null | undefined) ?? null,
      };
    }
    case 'people': {
      if (!Array.isArray(raw)) throw want('an array of users', raw);
      return raw.map((u, i) => {
        const id = normalizeId(isObject(u) ? u.id : undefined);
        if (!id || !ws.users.some((x) => x.id === id))
          throw validation(`${path}[${i}].id: could not find user ${describe(isObject(u) ? u.id : u)}.`);
        return { object: 'user' as const, id };
      });
    }
    case 'files': {
      if (!Array.isArray(raw)) throw want('an array of files', raw);
      return raw.map((f, i) => {
        if (isObject(f) && (f.type === 'file_upload' || isObject(f.file_upload))) {
          const attached = attachFileUpload(ws, f, `${path}[${i}]`);
          return { ...attached, name: typeof f.name === 'string' ? f.name : attached.name };
        }
        if (!isObject(f) || !isObject(f.external) || typeof f.external.url !== 'string')
          throw validation(
            `${path}[${i}] should be an external file ({name, external:{url}}) or an uploaded one ({type:"file_upload", file_upload:{id}}).`,
          );
        return {
          name: typeof f.name === 'string' ? f.name : f.external.url,
          type: 'external' as const,
          external: { url: f.external.url },
        };
      });
    }
    case 'relation': {
      if (!Array.isArray(raw)) throw want('an array of {id}', raw);
      const target = prop.config.data_source_id as string;
      const seen = new Set<string>();
      for (const [i, r] of raw.entries()) {
        const id = normalizeId(isObject(r) ? r.id : undefined);
        if (!id)
          throw validation(`${path}[${i}].id should be a valid uuid, instead was ${describe(isObject(r) ? r.id : r)}.`);
        const pg = ws.content.pages[id];
        if (pg?.parent.type !== 'data_source_id' || pg.parent.id !== target)
          throw validation(
            `${path}[${i}].id: page ${id} is not in the related data source ${target} of property "${prop.name}".`,
          );
        seen.add(id);
      }
      return [...seen].map((id) => ({ id }));
    }
  }
  throw validation(`${path}: property "${prop.name}" of type ${prop.type} cannot be written.`);
}

/** Keeps both sides of a dual relation in sync after `page`'s relation `prop` changed. */
function syncDual(ws: Workspace, page: PageRec, prop: PropertySchema, before: string[], after: string[]): void {
  if (prop.config.type !== 'dual_property') return;
  const syncedId = (prop.config.dual_property as { synced_property_id: string }).synced_property_id;
  const t = tick();
  for (const id of new Set([...before, ...after])) {
    const had = before.includes(id);
    const has = after.includes(id);
    if (had === has) continue;
    const other = ws.content.pages[id];
    if (!other) continue;
    const cur = ((other.props[syncedId] as Array<{ id: string }>) ?? []).filter((r) => r.id !== page.id);
    if (has) cur.push({ id: page.id });
    other.props[syncedId] = cur;
    other.last_edited_time = t;
  }
}

export function writePageProperties(ws: Workspace, page: PageRec, input: unknown, creating: boolean): void {
  const ds = dataSourceOf(ws, page);
  if (creating && ds) {
    for (const p of ds.properties)
      if (p.type === 'unique_id' && page.props[p.id] === undefined) page.props[p.id] = nextUnique(ds, p);
  }
  if (input === undefined) return;
  if (!isObject(input)) throw validation(`body.properties should be an object, instead was ${describe(input)}.`);
  // Validate everything first so a rejected request changes nothing.
  const writes: Array<{ prop: PropertySchema; value: unknown }> = [];
  for (const [key, value] of Object.entries(input)) {
    const path = `body.properties.${key}`;
    let prop: PropertySchema | undefined;
    if (ds) prop = findProp(ds, key);
    else if (key === 'title' || key === TITLE_ID)
      prop = { id: TITLE_ID, name: 'title', type: 'title', description: null, config: {} };
    if (!prop) {
      throw validation(
        ds
          ? `${key} is not a property that exists.`
          : `${key} is not a property that exists. A page whose parent is a page only has a \`title\` property.`,
      );
    }
    if (COMPUTED_TYPES.includes(prop.type))
      throw validation(
        `${path}: property "${prop.name}" is a ${prop.type} property; its value is computed by Notion and cannot be updated.`,
      );
    let raw: unknown = value;
    if (isObject(value) && (value.type === undefined || value.type === prop.type) && prop.type in value)
      raw = value[prop.type];
    else if (isObject(value)) {
      const given = (value.type as string | undefined) ?? Object.keys(value).find((k) => k !== 'id' && k !== 'type');
      throw validation(
        `${path}.${prop.type} should be defined, instead was \`undefined\`. Property "${prop.name}" is of type ${prop.type}, not ${given ?? 'unknown'}.`,
      );
    } else if (prop.type !== 'title' || !Array.isArray(value)) {
      throw validation(`${path} should be an object, instead was ${describe(value)}.`);
    }
    writes.push({ prop, value: coerceValue(ws, ds, prop, raw, `${path}.${prop.type}`) });
  }
  for (const w of writes) {
    if (w.prop.type === 'relation') {
      const before = ((page.props[w.prop.id] as Array<{ id: string }>) ?? []).map((r) => r.id);
      page.props[w.prop.id] = w.value;
      syncDual(
        ws,
        page,
        w.prop,
        before,
        (w.value as Array<{ id: string }>).map((r) => r.id),
      );
    } else page.props[w.prop.id] = w.value;
  }
}

const EMPTY: { [T in WritableType]: PropertyValueOf<T> } = {
  title: [],
  rich_text: [],
  number: null,
  select: null,
  multi_select: [],
  status: null,
  date: null,
  people: [],
  files: [],
  checkbox: false,
  url: null,
  email: null,
  phone_number: null,
  relation: [],
};

/** One property's value in response shape, without the `id` (used by rollups and filters too). */
export function propertyValue(ws: Workspace, page: PageRec, prop: PropertySchema, depth = 0): PropertyValueWithoutId {
  const t = prop.type;
  switch (t) {
    case 'created_time':
      return { type: t, created_time: page.created_time };
    case 'last_edited_time':
      return { type: t, last_edited_time: page.last_edited_time };
    case 'created_by':
      return { type: t, created_by: { object: 'user', id: page.created_by } };
    case 'last_edited_by':
      return { type: t, last_edited_by: { object: 'user', id: page.last_edited_by } };
    case 'unique_id':
      return {
        type: t,
        unique_id: (page.props[prop.id] as PropertyValueOf<'unique_id'> | undefined) ?? {
          prefix: (prop.config.prefix as string | null | undefined) ?? null,
          number: null,
        },
      };
    case 'button':
      return { type: t, button: {} };
    case 'formula':
      return { type: t, formula: evalFormula(ws, page, prop.config.expression as string, depth) };
    case 'rollup':
      return { type: t, rollup: computeRollup(ws, page, prop, depth) };
    case 'relation': {
      const v = (page.props[prop.id] as PropertyValueOf<'relation'> | undefined) ?? [];
      // Trashed related pages disappear from relation values like in Notion.
      return { type: t, relation: v.filter((r) => !ws.content.pages[r.id]?.in_trash) };
    }
    default:
      // Cast: the value sits under a key only known at run time (t); coerceValue() stored it in that type's
      // response shape (its return type is checked against the SDK), EMPTY holds the SDK's empty values.
      return { type: t, [t]: page.props[prop.id] ?? EMPTY[t as WritableType] ?? null } as PropertyValueWithoutId;
  }
}

export function renderPageProperties(ws: Workspace, page: PageRec): Record<string, PagePropertyValue> {
  const ds = dataSourceOf(ws, page);
  if (!ds)
    return {
      title: {
        id: TITLE_ID,
        type: 'title',
        title: (page.props[TITLE_ID] as PropertyValueOf<'title'> | undefined) ?? [],
      },
    };
  return Object.fromEntries(ds.properties.map((p) => [p.name, { id: p.id, ...propertyValue(ws, page, p) }]));
}

// ---------------------------------------------------------------------------------------------
// Computed values

/** A JS-level view of a value: strings, numbers, booleans, arrays of names/ids, or null. Used by formulas, filters, sorts. */
export function plainValue(ws: Workspace, page: PageRec, prop: PropertySchema, depth = 0): unknown {
  const v = propertyValue(ws, page, prop, depth);
  return plainOf(v);
}

export function plainOf(value: PropertyValueWithoutId): unknown {
  const v = value as unknown as Record<string, unknown>;
  const x = v[v.type as string];
  switch (v.type) {
    case 'title':
    case 'rich_text':
      return plainText(x);
    case 'select':
    case 'status':
      return x ? (x as { name: string }).name : null;
    case 'multi_select':
      return (x as Array<{ name: string }>).map((o) => o.name);
    case 'people':
      return (x as Array<{ id: string }>).map((u) => u.id);
    case 'relation':
      return (x as Array<{ id: string }>).map((r) => r.id);
    case 'files':
      return (x as Array<{ name: string }>).map((f) => f.name);
    case 'date':
      return x ? (x as { start: string }).start : null;
    case 'created_by':
    case 'last_edited_by':
      return (x as { id: string }).id;
    case 'unique_id':
      return (x as { number: number | null }).number;
    case 'formula': {
      const f = x as Record<string, unknown>;
      return f[f.type as string] ?? null;
    }
    case 'rollup': {
      const r = x as Record<string, unknown>;
      if (r.type === 'array') return (r.array as PropertyValueWithoutId[]).map(plainOf);
      if (r.type === 'date') return r.date ? (r.date as { start: string }).start : null;
      return r[r.type as string] ?? null;
    }
    default:
      return x ?? null;
  }
}

export function isEmptyPlain(v: unknown): boolean {
  return v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0);
}

function computeRollup(ws: Workspace, page: PageRec, prop: PropertySchema, depth: number): RollupValueResponse {
  const fn = prop.config.function as RollupFunction;
  const ds = dataSourceOf(ws, page);
  const rel = ds?.properties.find((p) => p.id === prop.config.relation_property_id);
  const target = rel ? ws.content.dataSources[rel.config.data_source_id as string] : undefined;
  const rp = target?.properties.find((p) => p.id === prop.config.rollup_property_id);
  if (!rel || !rp || depth > 3) return { type: 'unsupported', unsupported: {}, function: fn };
  const relValue = propertyValue(ws, page, rel);
  const related = (relValue.type === 'relation' ? relValue.relation : [])
    .map((r) => ws.content.pages[r.id])
    .filter((p): p is PageRec => !!p);
  const values = related.map((p) => propertyValue(ws, p, rp, depth + 1));
  // The SDK's rollup array holds plain property values only; a rollup of a rollup has no array form.
  const arrayItems = values.filter((v): v is RollupArrayItem => v.type !== 'rollup');
  const plains = values.map(plainOf);
  const flat = plains.flatMap((v) => (Array.isArray(v) ? v : [v]));
  const nums = flat.filter((v): v is number => typeof v === 'number');
  const num = (n: number | null): RollupValueResponse => ({ type: 'number', number: n, function: fn });
  const nonEmpty = plains.filter((v) => !isEmptyPlain(v) && v !== false);
  switch (fn) {
    case 'show_original':
      return { type: 'array', array: arrayItems, function: fn };
    case 'show_unique': {
      const seen = new Set<string>();
      return {
        type: 'array',
        array: arrayItems.filter((v) => {
          const k = JSON.stringify(plainOf(v));
          if (seen.has(k)) return false;
          seen.add(k);
          return true;
        }),
        function: fn,
      };
    }
    case 'count':
      return num(related.length);
    case 'count_values':
      return num(flat.filter((v) => !isEmptyPlain(v)).length);
    case 'empty':
      return num(plains.length - nonEmpty.length);
    case 'not_empty':
      return num(nonEmpty.length);
    case 'unique':
      return num(new Set(flat.filter((v) => !isEmptyPlain(v)).map((v) => JSON.stringify(v))).size);
    case 'percent_empty':
      return num(plains.length ? (plains.length - nonEmpty.length) / plains.length : 0);
    case 'percent_not_empty':
      return num(plains.length ? nonEmpty.length / plains.length : 0);
    case 'sum':
      return num(nums.reduce((a, b) => a + b, 0));
    case 'average':
      return num(nums.length ? nums.reduce((a, b) => a + b, 0) / nums.length : null);
    case 'median': {
      if (!nums.length) return num(null);
      const s = [...nums].sort((a, b) => a - b);
      const m = Math.floor(s.length / 2);
      return num(s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2);
    }
    case 'min':
      return num(nums.length ? Math.min(...nums) : null);
    case 'max':
      return num(nums.length ? Math.max(...nums) : null);
    case 'range':
      return num(nums.length ? Math.max(...nums) - Math.min(...nums) : null);
    case 'checked':
      return num(flat.filter((v) => v === true).length);
    case 'unchecked':
      return num(flat.filter((v) => v === false).length);
    case 'percent_checked':
      return num(flat.length ? flat.filter((v) => v === true).length / flat.length : 0);
    case 'percent_unchecked':
      return num(flat.length ? flat.filter((v) => v === false).length / flat.length : 0);
    case 'earliest_date':
    case 'latest_date': {
      const ds2 = flat.filter((v): v is string => isDate(v)).sort();
      const d = fn === 'earliest_date' ? ds2[0] : ds2[ds2.length - 1];
      return { type: 'date', date: d ? { start: d, end: null, time_zone: null } : null, function: fn };
    }
    default:
      return { type: 'unsupported', unsupported: {}, function: fn };
  }
}

// A small formula evaluator: prop("X"), number/string/boolean literals, + - * / %, comparisons,
// parentheses, and the functions concat/if/not/length/round/abs. Anything else yields a typed null.
type FVal = number | string | boolean | null;

function evalFormula(ws: Workspace, page: PageRec, expr: string, depth: number): FormulaValueResponse {
  try {
    if (depth > 5) throw new Error('formula recursion');
    const v = new FormulaParser(expr, (name) => {
      const ds = dataSourceOf(ws, page);
      const p = ds ? findProp(ds, name) : undefined;
      if (!p) throw new Error(`unknown property ${name}`);
      const pv = plainValue(ws, page, p, depth + 1);
      if (Array.isArray(pv)) return pv.join(', ');
      return pv as FVal;
    }).parse();
    if (typeof v === 'number') return { type: 'number', number: Number.isFinite(v) ? v : null };
    if (typeof v === 'boolean') return { type: 'boolean', boolean: v };
    if (typeof v === 'string') return { type: 'string', string: v };
    return { type: 'string', string: null };
  } catch {
    return { type: 'string', string: null };
  }
}

class FormulaParser {
  #s: string;
  #i = 0;
  #prop: (name: string) => FVal;
  constructor(s: string, prop: (name: string) => FVal) {
    this.#s = s;
    this.#prop = prop;
  }
  parse(): FVal {
    const v = this.#cmp();
    this.#ws();
    if (this.#i < this.#s.length) throw new Error(`unexpected ${this.#s.slice(this.#i)}`);
    return v;
  }
  #ws(): void {
    while (/\s/.test(this.#s[this.#i] ?? '')) this.#i++;
  }
  #eat(tok: string): boolean {
    this.#ws();
    if (this.#s.startsWith(tok, this.#i)) {
      this.#i += tok.length;
      return true;
    }
    return false;
  }
  #cmp(): FVal {
    let l = this.#add();
    for (;;) {
      const op = ['==', '!=', '>=', '<=', '>', '<'].find((o) => this.#eat(o));
      if (!op) return l;
      const r = this.#add();
      l =
        op === '=='
          ? l === r
          : op === '!='
            ? l !== r
            : op === '>='
              ? (l as number) >= (r as number)
              : op === '<='
                ? (l as number) <= (r as number)
                : op === '>'
                  ? (l as number) > (r as number)
                  : (l as number) < (r as number);
    }
  }
  #add(): FVal {
    let l = this.#mul();
    for (;;) {
      if (this.#eat('+')) {
        const r = this.#mul();
        l = typeof l === 'string' || typeof r === 'string' ? `${l ?? ''}${r ?? ''}` : num(l) + num(r);
      } else if (this.#eat('-')) l = num(l) - num(this.#mul());
      else return l;
    }
  }
  #mul(): FVal {
    let l = this.#unary();
    for (;;) {
      if (this.#eat('*')) l = num(l) * num(this.#unary());
      else if (this.#eat('/')) l = num(l) / num(this.#unary());
      else if (this.#eat('%')) l = num(l) % num(this.#unary());
      else return l;
    }
  }
  #unary(): FVal {
    if (this.#eat('-')) return -num(this.#unary());
    return this.#atom();
  }
  #args(): FVal[] {
    const out: FVal[] = [];
    if (!this.#eat('(')) throw new Error('expected (');
    if (this.#eat(')')) return out;
    do out.push(this.#cmp());
    while (this.#eat(','));
    if (!this.#eat(')')) throw new Error('expected )');
    return out;
  }
  #atom(): FVal {
    this.#ws();
    const s = this.#s;
    if (this.#eat('(')) {
      const v = this.#cmp();
      if (!this.#eat(')')) throw new Error('expected )');
      return v;
    }
    if (s[this.#i] === '"') {
      const end = s.indexOf('"', this.#i + 1);
      if (end < 0) throw new Error('unterminated string');
      const v = s.slice(this.#i + 1, end);
      this.#i = end + 1;
      return v;
    }
    const m = /^(\d+(\.\d+)?|[A-Za-z_]+)/.exec(s.slice(this.#i));
    if (!m) throw new Error(`unexpected ${s.slice(this.#i)}`);
    this.#i += m[0].length;
    const w = m[0];
    if (/^\d/.test(w)) return Number(w);
    if (w === 'true') return true;
    if (w === 'false') return false;
    const args = this.#args();
    switch (w) {
      case 'prop':
        return this.#prop(String(args[0]));
      case 'concat':
        return args.map((a) => a ?? '').join('');
      case 'if':
        return args[0] ? (args[1] ?? null) : (args[2] ?? null);
      case 'not':
        return !args[0];
      case 'length':
        return String(args[0] ?? '').length;
      case 'round':
        return Math.round(num(args[0]));
      case 'abs':
        return Math.abs(num(args[0]));
      default:
        throw new Error(`unsupported function ${w}`);
    }
  }
}

function num(v: FVal): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v === null || v === '') return 0;
  const n = Number(v);
  if (Number.isNaN(n)) throw new Error('not a number');
  return n;
}
