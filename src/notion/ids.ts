/**
 * Notion ids are UUIDs, written with or without dashes. Anything else is refused before it can reach a URL path.
 */
const UUID_WITH_DASHES = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UUID_WITHOUT_DASHES = /^[0-9a-f]{32}$/i;

/** The id in canonical dashed lower-case form, or null when it is not a Notion id. */
export function normaliseNotionId(raw: string): string | null {
  if (UUID_WITH_DASHES.test(raw)) return raw.toLowerCase();
  if (UUID_WITHOUT_DASHES.test(raw)) {
    const h = raw.toLowerCase();
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
  return null;
}
