/**
 * Data source templates (Notion-Version 2025-09-03): `template` on notion_page_create and notion_upsert (`none`,
 * `default` or a template id) becomes Notion's `template` body parameter; notion_data_source_get lists them.
 */
import { APIResponseError, type Client, type CreatePageParameters } from '@notionhq/client';
import { GatewayError } from '../shared/errors.ts';
import { pageIdOf } from './properties/index.ts';

export interface TemplateInfo {
  id: string;
  name: string;
  is_default: boolean;
}

/** True when the caller asked for a template (anything but absent or `none`). */
export const wantsTemplate = (raw: string | undefined): boolean =>
  raw !== undefined && raw.trim() !== '' && raw.trim().toLowerCase() !== 'none';

export type TemplateParam = { template?: CreatePageParameters['template'] };

/**
 * Notion's `template` parameter for `template`: absent / `none` → nothing, `default`, a template id or URL, or a
 * template's name (looked up among the data source's templates: none or several with it → a precise error).
 */
export async function resolveTemplate(
  client: Client,
  dataSourceId: string,
  raw: string | undefined,
): Promise<TemplateParam> {
  if (!wantsTemplate(raw)) return {};
  const v = raw!.trim();
  if (v.toLowerCase() === 'default') return { template: { type: 'default' } };
  const id = pageIdOf(v);
  if (id) return { template: { type: 'template_id', template_id: id } };
  const templates = await listTemplates(client, dataSourceId);
  const named = templates.filter((t) => t.name.trim().toLowerCase() === v.toLowerCase());
  if (named.length === 1) return { template: { type: 'template_id', template_id: named[0]!.id } };
  if (named.length > 1) {
    throw new GatewayError(
      'ambiguous_match',
      `template: ${named.length} templates are named "${v}"; pass one's id.`,
      { pointer: '/template', field: 'template', candidates: named },
      409,
    );
  }
  throw new GatewayError(
    'validation_failed',
    `template: this data source has no template named "${v}"; pass default, none, or one of its templates.`,
    { pointer: '/template', field: 'template', expected: 'none, default, or a template id or name', templates },
  );
}

/** A template gives the page its body: refuses a body given alongside it. */
export function refuseBodyWithTemplate(raw: string | undefined, body: Record<string, unknown>): void {
  if (!wantsTemplate(raw)) return;
  const field = Object.keys(body).find((k) => body[k] !== undefined && !(Array.isArray(body[k]) && !body[k].length));
  if (!field) return;
  throw new GatewayError(
    'validation_failed',
    `${field}: a template gives the page its body; pass ${field} without template, or add it afterwards (notion_page_update append_markdown).`,
    { pointer: `/${field}`, field },
  );
}

export async function listTemplates(client: Client, dataSourceId: string): Promise<TemplateInfo[]> {
  const out: TemplateInfo[] = [];
  let cursor: string | undefined;
  // Data sources hold a handful of templates; five pages of 100 is more than Notion shows in its own menu.
  for (let i = 0; i < 5; i++) {
    const page = await client.dataSources.listTemplates({
      data_source_id: dataSourceId,
      page_size: 100,
      ...(cursor ? { start_cursor: cursor } : {}),
    });
    out.push(...page.templates.map((t) => ({ id: t.id, name: t.name, is_default: t.is_default })));
    if (!page.has_more || !page.next_cursor) break;
    cursor = page.next_cursor;
  }
  return out;
}

/**
 * Creates a page with a template; Notion's refusal of the template (unknown id, no default) becomes a
 * validation_failed on `/template` that lists the data source's templates.
 */
export async function withTemplateErrors<T>(
  client: Client,
  dataSourceId: string,
  raw: string | undefined,
  create: () => Promise<T>,
): Promise<T> {
  try {
    return await create();
  } catch (error) {
    if (
      !wantsTemplate(raw) ||
      !(error instanceof APIResponseError) ||
      error.status !== 400 ||
      !/template/i.test(error.message)
    )
      throw error;
    const templates = await listTemplates(client, dataSourceId).catch(() => null);
    const isDefault = raw!.trim().toLowerCase() === 'default';
    throw new GatewayError(
      'validation_failed',
      isDefault
        ? 'template: this data source has no default template; pass a template id, or none.'
        : `template: ${raw!.trim()} is not a template of this data source; pass default or one of its template ids.`,
      {
        pointer: '/template',
        field: 'template',
        expected: 'none, default, or the id of one of the data source templates',
        ...(templates ? { templates } : {}),
        notion_message: error.message,
      },
    );
  }
}
