// Helpers shared by databases.ts and data-sources.ts (kept apart to avoid an import cycle).
import { validation } from './errors.ts';
import type { DatabaseParentResponse, PageIconResponse } from './sdk.ts';
import type { DatabaseRec } from './store.ts';
import { describe, isObject } from './util.ts';

export function databaseParentJson(db: DatabaseRec): DatabaseParentResponse {
  const p = db.parent;
  if (p.type === 'page_id') return { type: 'page_id', page_id: p.id };
  if (p.type === 'block_id') return { type: 'block_id', block_id: p.id };
  return { type: 'workspace', workspace: true };
}

/** Icons: emoji or external file (file uploads are not supported by the sandbox). */
export function checkIcon(raw: unknown, path: string): PageIconResponse | null | undefined {
  if (raw === undefined) return undefined;
  if (raw === null) return null;
  if (!isObject(raw)) throw validation(`${path} should be an object or null, instead was ${describe(raw)}.`);
  const type = (raw.type as string | undefined) ?? Object.keys(raw)[0];
  if (type === 'emoji' && typeof raw.emoji === 'string') return { type: 'emoji', emoji: raw.emoji };
  if (type === 'external' && isObject(raw.external) && typeof raw.external.url === 'string')
    return { type: 'external', external: { url: raw.external.url } };
  throw validation(`${path} should be an emoji or an external file, instead was ${describe(raw)}.`);
}
