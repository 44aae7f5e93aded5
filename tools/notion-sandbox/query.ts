// Data source queries: filters (every writable type plus formula/rollup/timestamps, nested and/or),
// sorts by property or timestamp. Filters run on plainValue() (properties.ts).
import { validation } from './errors.ts';
import { findProp, isEmptyPlain, plainOf, plainValue, propertyValue } from './properties.ts';
import type { DataSourceRec, PageRec, PropertySchema, Workspace } from './store.ts';
import { describe, isObject, normalizeId } from './util.ts';

/** Notion allows compound filters nested two levels deep. */
export const MAX_FILTER_DEPTH = 2;

/** Which filter keys are accepted for a property type. */
const FILTER_KEYS: Record<string, string[]> = {
  title: ['title', 'rich_text'],
  rich_text: ['rich_text', 'title'],
  url: ['url', 'rich_text'],
  email: ['email', 'rich_text'],
  phone_number: ['phone_number', 'rich_text'],
  number: ['number'],
  checkbox: ['checkbox'],
  select: ['select'],
  status: ['status'],
  multi_select: ['multi_select'],
  date: ['date'],
  created_time: ['created_time', 'date'],
  last_edited_time: ['last_edited_time', 'date'],
  people: ['people'],
  created_by: ['created_by', 'people'],
  last_edited_by: ['last_edited_by', 'people'],
  files: ['files'],
  relation: ['relation'],
  formula: ['formula'],
  rollup: ['rollup'],
  unique_id: ['unique_id', 'number'],
};

interface Env {
  ws: Workspace;
  ds: DataSourceRec;
  botId: string;
}

/** Validates the whole filter once (so errors surface even on an empty data source) and returns a predicate. */
export function compileFilter(
  ws: Workspace,
  ds: DataSourceRec,
  filter: unknown,
  botId: string,
  path = 'body.filter',
): (p: PageRec) => boolean {
  if (filter === undefined || filter === null) return () => true;
  const env: Env = { ws, ds, botId };
  return compile(env, filter, path, 0);
}

function compile(env: Env, f: unknown, path: string, depth: number): (p: PageRec) => boolean {
  if (!isObject(f)) throw validation(`${path} should be an object, instead was ${describe(f)}.`);
  if (Array.isArray(f.and) || Array.isArray(f.or)) {
    if (depth >= MAX_FILTER_DEPTH + 1)
      throw validation(`${path}: compound filters may be nested at most ${MAX_FILTER_DEPTH} levels deep.`);
    const key = Array.isArray(f.and) ? 'and' : 'or';
    const parts = (f[key] as unknown[]).map((x, i) => compile(env, x, `${path}.${key}[${i}]`, depth + 1));
    return key === 'and' ? (p) => parts.every((x) => x(p)) : (p) => parts.some((x) => x(p));
  }
  if (f.timestamp !== undefined) {
    if (f.timestamp !== 'created_time' && f.timestamp !== 'last_edited_time')
      throw validation(
        `${path}.timestamp should be \`"created_time"\` or \`"last_edited_time"\`, instead was ${describe(f.timestamp)}.`,
      );
    const ts = f.timestamp;
    const cond = f[ts];
    const test = dateCondition(cond, `${path}.${ts}`);
    return (p) => test(p[ts]);
  }
  if (typeof f.property !== 'string')
    throw validation(`${path}.property should be a string, instead was ${describe(f.property)}.`);
  const prop = findProp(env.ds, f.property);
  if (!prop) throw validation(`Could not find property with name or id: ${f.property}`);
  const key = Object.keys(f).find((k) => k !== 'property' && k !== 'type');
  if (!key) throw validation(`${path} should define a condition for property "${prop.name}".`);
  const allowed = FILTER_KEYS[prop.type] ?? [];
  if (!allowed.includes(key))
    throw validation(
      `${path}.${key}: property "${prop.name}" is of type ${prop.type}; use a ${allowed[0] ?? prop.type} filter.`,
    );
  const cond = f[key];
  const get = (p: PageRec) => plainValue(env.ws, p, prop);
  if (prop.type === 'formula') {
    if (!isObject(cond)) throw validation(`${path}.formula should be an object, instead was ${describe(cond)}.`);
    const sub = Object.keys(cond)[0];
    const kind =
      sub === 'string'
        ? 'text'
        : sub === 'checkbox'
          ? 'checkbox'
          : sub === 'number'
            ? 'number'
            : sub === 'date'
              ? 'date'
              : null;
    if (!kind || !sub) throw validation(`${path}.formula should contain one of string, number, checkbox, date.`);
    const test = condition(env, kind, cond[sub], `${path}.formula.${sub}`);
    return (p) => test(get(p));
  }
  if (prop.type === 'rollup') return rollupFilter(env, prop, cond, `${path}.rollup`);
  const test = condition(env, kindOf(prop.type), cond, `${path}.${key}`);
  return (p) => test(get(p));
}

function kindOf(type: string): string {
  if (['title', 'rich_text', 'url', 'email', 'phone_number'].includes(type)) return 'text';
  if (type === 'number' || type === 'unique_id') return 'number';
  if (type === 'select' || type === 'status') return 'select';
  if (['date', 'created_time', 'last_edited_time'].includes(type)) return 'date';
  if (['people', 'created_by', 'last_edited_by'].includes(type)) return 'people';
  return type;
}

function rollupFilter(env: Env, prop: PropertySchema, cond: unknown, path: string): (p: PageRec) => boolean {
  if (!isObject(cond)) throw validation(`${path} should be an object, instead was ${describe(cond)}.`);
  const op = Object.keys(cond)[0];
  const inner = op ? cond[op] : undefined;
  if (op === 'number' || op === 'date') {
    const test = condition(env, op, inner, `${path}.${op}`);
    return (p) => test(plainValue(env.ws, p, prop));
  }
  if (op === 'any' || op === 'every' || op === 'none') {
    if (!isObject(inner)) throw validation(`${path}.${op} should be an object, instead was ${describe(inner)}.`);
    const t = Object.keys(inner)[0]!;
    const test = condition(env, kindOf(t), inner[t], `${path}.${op}.${t}`);
    return (p) => {
      const pv = propertyValue(env.ws, p, prop);
      if (pv.type !== 'rollup') return false;
      const v = pv.rollup;
      const items = v.type === 'array' ? v.array.map(plainOf) : [plainOf(pv)];
      if (op === 'any') return items.some(test);
      if (op === 'every') return items.every(test);
      return !items.some(test);
    };
  }
  throw validation(`${path} should contain one of any, every, none, number, date.`);
}

function single(cond: unknown, path: string): [string, unknown] {
  if (!isObject(cond)) throw validation(`${path} should be an object, instead was ${describe(cond)}.`);
  const keys = Object.keys(cond);
  if (keys.length !== 1) throw validation(`${path} should contain exactly one condition, instead had ${keys.length}.`);
  return [keys[0]!, cond[keys[0]!]];
}

function condition(env: Env, kind: string, cond: unknown, path: string): (v: unknown) => boolean {
  const [op, arg] = single(cond, path);
  const bad = () => validation(`${path}.${op} is not a valid ${kind} filter condition.`);
  if (op === 'is_empty' || op === 'is_not_empty') {
    if (arg !== true) throw validation(`${path}.${op} should be \`true\`, instead was ${describe(arg)}.`);
    return op === 'is_empty' ? (v) => isEmptyPlain(v) : (v) => !isEmptyPlain(v);
  }
  const needString = () => {
    if (typeof arg !== 'string') throw validation(`${path}.${op} should be a string, instead was ${describe(arg)}.`);
    return arg;
  };
  switch (kind) {
    case 'text': {
      const s = needString();
      const low = s.toLowerCase();
      const str = (v: unknown) => (typeof v === 'string' ? v : '');
      switch (op) {
        case 'equals':
          return (v) => str(v) === s;
        case 'does_not_equal':
          return (v) => str(v) !== s;
        case 'contains':
          return (v) => str(v).toLowerCase().includes(low);
        case 'does_not_contain':
          return (v) => !str(v).toLowerCase().includes(low);
        case 'starts_with':
          return (v) => str(v).toLowerCase().startsWith(low);
        case 'ends_with':
          return (v) => str(v).toLowerCase().endsWith(low);
      }
      throw bad();
    }
    case 'number': {
      if (typeof arg !== 'number') throw validation(`${path}.${op} should be a number, instead was ${describe(arg)}.`);
      const n = (v: unknown) => (typeof v === 'number' ? v : null);
      switch (op) {
        case 'equals':
          return (v) => n(v) === arg;
        case 'does_not_equal':
          return (v) => n(v) !== arg;
        case 'greater_than':
          return (v) => n(v) !== null && n(v)! > arg;
        case 'less_than':
          return (v) => n(v) !== null && n(v)! < arg;
        case 'greater_than_or_equal_to':
          return (v) => n(v) !== null && n(v)! >= arg;
        case 'less_than_or_equal_to':
          return (v) => n(v) !== null && n(v)! <= arg;
      }
      throw bad();
    }
    case 'checkbox': {
      if (typeof arg !== 'boolean')
        throw validation(`${path}.${op} should be a boolean, instead was ${describe(arg)}.`);
      if (op === 'equals') return (v) => v === arg;
      if (op === 'does_not_equal') return (v) => v !== arg;
      throw bad();
    }
    case 'select': {
      const vals = Array.isArray(arg) ? arg : [arg];
      if (!vals.every((x) => typeof x === 'string'))
        throw validation(`${path}.${op} should be a string, instead was ${describe(arg)}.`);
      if (op === 'equals') return (v) => vals.includes(v as string);
      if (op === 'does_not_equal') return (v) => !vals.includes(v as string);
      throw bad();
    }
    case 'multi_select': {
      const s = needString();
      if (op === 'contains') return (v) => Array.isArray(v) && v.includes(s);
      if (op === 'does_not_contain') return (v) => !(Array.isArray(v) && v.includes(s));
      throw bad();
    }
    case 'people':
    case 'relation': {
      const raw = needString();
      const id = raw === 'me' && kind === 'people' ? env.botId : normalizeId(raw);
      if (!id) throw validation(`${path}.${op} should be a valid uuid, instead was ${describe(raw)}.`);
      const has = (v: unknown) => (Array.isArray(v) ? v.includes(id) : v === id);
      if (op === 'contains') return has;
      if (op === 'does_not_contain') return (v) => !has(v);
      throw bad();
    }
    case 'files':
      throw bad();
    case 'date':
      return dateCondition(cond, path);
  }
  throw bad();
}

const DAY = 86_400_000;

function relative(s: string): string {
  const now = Date.now();
  const map: Record<string, number> = {
    today: 0,
    tomorrow: DAY,
    yesterday: -DAY,
    one_week_ago: -7 * DAY,
    one_week_from_now: 7 * DAY,
    one_month_ago: -30 * DAY,
    one_month_from_now: 30 * DAY,
  };
  return s in map ? new Date(now + map[s]!).toISOString().slice(0, 10) : s;
}

/** Date comparisons: a date-only argument compares by calendar day, a date-time argument by instant. */
function dateCondition(cond: unknown, path: string): (v: unknown) => boolean {
  const [op, rawArg] = single(cond, path);
  if (op === 'is_empty') return (v) => isEmptyPlain(v);
  if (op === 'is_not_empty') return (v) => !isEmptyPlain(v);
  const windows: Record<string, [number, number]> = {
    past_week: [-7, 0],
    past_month: [-30, 0],
    past_year: [-365, 0],
    next_week: [0, 7],
    next_month: [0, 30],
    next_year: [0, 365],
    this_week: [-((new Date().getUTCDay() + 6) % 7), 7 - ((new Date().getUTCDay() + 6) % 7)],
  };
  if (op in windows) {
    const [a, b] = windows[op]!;
    return (v) => {
      if (typeof v !== 'string') return false;
      const t = Date.parse(v);
      return t >= Date.now() + a * DAY - DAY && t <= Date.now() + b * DAY + DAY;
    };
  }
  if (typeof rawArg !== 'string')
    throw validation(`${path}.${op} should be an ISO 8601 date string, instead was ${describe(rawArg)}.`);
  const arg = relative(rawArg);
  if (Number.isNaN(Date.parse(arg)))
    throw validation(`${path}.${op} should be an ISO 8601 date string, instead was ${describe(rawArg)}.`);
  const dayOnly = arg.length === 10;
  const key = (v: string) => (dayOnly ? v.slice(0, 10) : new Date(v).toISOString());
  const a = dayOnly ? arg : new Date(arg).toISOString();
  const cmp = (v: unknown): number | null => (typeof v === 'string' ? key(v).localeCompare(a) : null);
  switch (op) {
    case 'equals':
      return (v) => cmp(v) === 0;
    case 'before':
      return (v) => (cmp(v) ?? 0) < 0 && v !== null;
    case 'after':
      return (v) => (cmp(v) ?? 0) > 0;
    case 'on_or_before':
      return (v) => v !== null && (cmp(v) ?? 1) <= 0;
    case 'on_or_after':
      return (v) => v !== null && (cmp(v) ?? -1) >= 0;
  }
  throw validation(`${path}.${op} is not a valid date filter condition.`);
}

export function compileSorts(
  ws: Workspace,
  ds: DataSourceRec,
  sorts: unknown,
  path = 'body.sorts',
): (a: PageRec, b: PageRec) => number {
  // Without sorts Notion's order is unspecified; the sandbox uses created_time descending (newest first).
  if (sorts === undefined || sorts === null) return (a, b) => b.created_time.localeCompare(a.created_time);
  if (!Array.isArray(sorts)) throw validation(`${path} should be an array, instead was ${describe(sorts)}.`);
  const keys = sorts.map((s, i) => {
    const p = `${path}[${i}]`;
    if (!isObject(s)) throw validation(`${p} should be an object, instead was ${describe(s)}.`);
    if (s.direction !== 'ascending' && s.direction !== 'descending')
      throw validation(
        `${p}.direction should be \`"ascending"\` or \`"descending"\`, instead was ${describe(s.direction)}.`,
      );
    const dir = s.direction === 'ascending' ? 1 : -1;
    if (s.timestamp !== undefined) {
      if (s.timestamp !== 'created_time' && s.timestamp !== 'last_edited_time')
        throw validation(
          `${p}.timestamp should be \`"created_time"\` or \`"last_edited_time"\`, instead was ${describe(s.timestamp)}.`,
        );
      const ts = s.timestamp;
      return (a: PageRec, b: PageRec) => dir * a[ts].localeCompare(b[ts]);
    }
    if (typeof s.property !== 'string')
      throw validation(`${p}.property should be a string, instead was ${describe(s.property)}.`);
    const prop = findProp(ds, s.property);
    if (!prop) throw validation(`Could not find sort property with name or id: ${s.property}`);
    const order = (prop.config.options as Array<{ name: string }> | undefined)?.map((o) => o.name);
    const val = (pg: PageRec): unknown => {
      const v = plainValue(ws, pg, prop);
      if (order && typeof v === 'string') return order.indexOf(v);
      if (Array.isArray(v)) return v[0] ?? null;
      return v;
    };
    return (a: PageRec, b: PageRec) => {
      const va = val(a);
      const vb = val(b);
      // Empty values sort last in both directions, as in Notion.
      if (isEmptyPlain(va) && isEmptyPlain(vb)) return 0;
      if (isEmptyPlain(va)) return 1;
      if (isEmptyPlain(vb)) return -1;
      if (typeof va === 'number' && typeof vb === 'number') return dir * (va - vb);
      if (typeof va === 'boolean' && typeof vb === 'boolean') return dir * (Number(va) - Number(vb));
      return dir * String(va).localeCompare(String(vb));
    };
  });
  return (a, b) => {
    for (const k of keys) {
      const r = k(a, b);
      if (r !== 0) return r;
    }
    return 0;
  };
}
