/** Finding a data source's property from the name a caller gave: exact name, property id, then case-insensitively. */
import { unknownProperty } from './errors.ts';
import type { DataSourceSchema, PropertySchema } from './types.ts';

const fold = (s: string) => s.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();

/** The property's name in the schema and its schema, or undefined. */
export function lookupProperty(schema: DataSourceSchema, given: string): [string, PropertySchema] | undefined {
  const exact = schema[given];
  if (exact) return [given, exact];
  const entries = Object.entries(schema);
  const byId = entries.find(([, p]) => p.id === given || safeDecode(p.id) === given);
  if (byId) return byId;
  const folded = entries.filter(([name]) => fold(name) === fold(given));
  return folded.length === 1 ? folded[0] : undefined;
}

/** Like lookupProperty, but an unknown name throws `invalid_property` listing the names and the closest one. */
export function findProperty(schema: DataSourceSchema, given: string): [string, PropertySchema] {
  const found = lookupProperty(schema, given);
  if (!found) throw unknownProperty(given, Object.keys(schema));
  return found;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
