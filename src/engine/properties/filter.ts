/**
 * The friendly query form → Notion's filter and sorts. `{"Status": "Done", "Due": {"before": "2026-02-01"}}`: each key
 * a property (names forgiving as everywhere), combined with AND; a bare value means `equals`, or `contains` for
 * lists (multi-select, people, relation); an object is Notion's condition for that property's type, as it is.
 * Notion's own filter (`{"property": …}`, `{"and": […]}`, `{"or": […]}`, `{"timestamp": …}`) passes through.
 */
import { invalidProperty } from './errors.ts';
import { findProperty } from './lookup.ts';
import type { DataSourceSchema, PropertySchema } from './types.ts';

type Filter = Record<string, unknown>;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export const isNativeFilter = (filter: Filter): boolean =>
  'property' in filter || 'and' in filter || 'or' in filter || 'timestamp' in filter;

/** The condition key Notion expects for a property type (formulas, rollups: the caller gives the nested condition). */
function conditionKey(property: PropertySchema): string {
  return property.type === 'created_time' || property.type === 'last_edited_time' ? 'timestamp' : property.type;
}

function bareCondition(name: string, property: PropertySchema, value: unknown): Record<string, unknown> {
  switch (property.type) {
    case 'multi_select':
    case 'people':
    case 'relation':
      return { contains: value };
    case 'checkbox':
      if (typeof value !== 'boolean') break;
      return { equals: value };
    case 'number':
    case 'unique_id':
      if (typeof value !== 'number') break;
      return { equals: value };
    case 'formula':
    case 'rollup':
    case 'files':
      throw invalidProperty(
        `Filter "${name}" (${property.type}) with Notion's condition object, e.g. ${
          property.type === 'formula' ? '{"number": {"greater_than": 3}}' : '{"is_not_empty": true}'
        }.`,
        { property: name, expected: `a ${property.type} condition object` },
      );
    default:
      if (value === null) return { is_empty: true };
      return { equals: value };
  }
  throw invalidProperty(
    `Filter "${name}" (${property.type}) with a ${property.type === 'checkbox' ? 'boolean' : 'number'}.`,
    {
      property: name,
      expected: property.type === 'checkbox' ? 'true or false' : 'a number',
      example: { [name]: property.type === 'checkbox' ? true : 3 },
    },
  );
}

export function buildFilter(filter: Filter | undefined, schema: DataSourceSchema): Filter | undefined {
  if (!filter || Object.keys(filter).length === 0) return undefined;
  if (isNativeFilter(filter)) return filter;
  const conditions = Object.entries(filter).map(([given, value]) => {
    const [name, property] = findProperty(schema, given);
    if (property.type === 'created_time' || property.type === 'last_edited_time') {
      return { timestamp: property.type, [property.type]: isObject(value) ? value : { equals: value } };
    }
    return { property: name, [conditionKey(property)]: isObject(value) ? value : bareCondition(name, property, value) };
  });
  return conditions.length === 1 ? conditions[0] : { and: conditions };
}

export type Sort =
  | { property: string; direction: 'ascending' | 'descending' }
  | { timestamp: string; direction: string };

/** `"Due"`, `"-Due"`, `{"property": "Due", "direction": "descending"}` or `{"timestamp": …}` → Notion sorts. */
export function buildSorts(sorts: readonly unknown[] | undefined, schema: DataSourceSchema): Sort[] | undefined {
  if (!sorts || sorts.length === 0) return undefined;
  return sorts.map((sort) => {
    if (typeof sort === 'string') {
      const descending = sort.startsWith('-');
      const [name] = findProperty(schema, descending ? sort.slice(1) : sort);
      return { property: name, direction: descending ? 'descending' : 'ascending' };
    }
    if (isObject(sort) && typeof sort.property === 'string') {
      const [name] = findProperty(schema, sort.property);
      return { property: name, direction: sort.direction === 'descending' ? 'descending' : 'ascending' };
    }
    if (isObject(sort) && typeof sort.timestamp === 'string') return sort as Sort;
    throw invalidProperty('A sort is a property name ("Due", "-Due" for descending) or {"property", "direction"}.', {
      property: String(sort),
      expected: 'a property name or {"property": name, "direction": "ascending" | "descending"}',
      example: ['-Due'],
    });
  });
}
