/**
 * Ids are UUIDs, written with or without dashes: Notion's object ids and the gateway's connection ids alike.
 * Anything else is refused before it can reach a URL path or a query.
 */
const UUID_WITH_DASHES = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UUID_WITHOUT_DASHES = /^[0-9a-f]{32}$/i;

/** The id in canonical dashed lower-case form, or null when it is not a UUID. */
export function normaliseUuid(raw: string): string | null {
  if (!UUID_WITH_DASHES.test(raw) && !UUID_WITHOUT_DASHES.test(raw)) return null;
  const h = raw.replaceAll('-', '').toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
