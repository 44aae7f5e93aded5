/**
 * Pages in and out in the friendly formats: create a row (friendly values) or a sub-page, read a page compactly with
 * its body as Markdown, change values, append or replace the body as Markdown (Notion's own page-Markdown routes),
 * trash and restore.
 */
import { APIResponseError, type Client, type PageObjectResponse } from '@notionhq/client';
import { MARKDOWN_NOTION_VERSION } from '../../notion/allowlist.ts';
import { GatewayError } from '../../shared/errors.ts';
import type { ResolvedConnection } from '../context.ts';
import { dryRunAnswer, previewPage, type WouldSend } from '../dry-run.ts';
import { withIdKind } from '../id-kinds.ts';
import { idFromField } from '../notion-objects.ts';
import { type BodyPart, bodyPart } from '../page-parts.ts';
import {
  buildPropertyValues,
  type DataSourceSchema,
  type NotionPropertyValues,
  textToRichText,
} from '../properties/index.ts';
import { compactWithTitles } from '../related-titles.ts';
import { refuseBodyWithTemplate, resolveTemplate, wantsTemplate, withTemplateErrors } from '../templates.ts';
import { valueOptionsFor } from '../value-options.ts';
import { connectionOf, type Operation } from './operation.ts';

const markdownClient = (connection: ResolvedConnection): Client => connection.notion(MARKDOWN_NOTION_VERSION);

async function readMarkdown(connection: ResolvedConnection, pageId: string) {
  const md = await markdownClient(connection).pages.retrieveMarkdown({ page_id: pageId });
  return { markdown: md.markdown, markdown_truncated: md.truncated };
}

export const notion_page_create: Operation<'notion_page_create'> = async (input, ctx, services) => {
  const connection = connectionOf(ctx);
  const inDataSource = Boolean(input.data_source_id || input.database_id);
  if (inDataSource && input.parent_page_id) {
    throw new GatewayError(
      'validation_failed',
      'Give the page one parent: data_source_id (or database_id) for a row, or parent_page_id for a sub-page.',
      { pointer: '/parent_page_id' },
    );
  }
  if (wantsTemplate(input.template) && !inDataSource) {
    throw new GatewayError(
      'validation_failed',
      'template: only a row of a data source starts from a template; pass data_source_id.',
      {
        pointer: '/template',
        field: 'template',
      },
    );
  }
  refuseBodyWithTemplate(input.template, { content_markdown: input.content_markdown || undefined });
  const icon = input.icon_emoji ? { icon: { type: 'emoji' as const, emoji: input.icon_emoji as never } } : {};
  const markdownRequest = (pageId: string): WouldSend[] =>
    input.content_markdown
      ? [
          {
            method: 'PATCH',
            path: `/v1/pages/${pageId}/markdown`,
            body: { type: 'insert_content', insert_content: { content: input.content_markdown } },
          },
        ]
      : [];
  let created: PageObjectResponse;
  if (inDataSource) {
    const outcome = await services.dataSources.withSchema(connection, input, async ({ id, schema }) => {
      const properties = await buildPropertyValues(
        input.properties ?? {},
        schema,
        valueOptionsFor(services.dataSources, connection, input),
      );
      const client = connection.notion();
      const template = await resolveTemplate(client, id, input.template);
      const body = {
        parent: { type: 'data_source_id' as const, data_source_id: id },
        properties,
        ...icon,
        ...template,
      };
      if (input.dry_run === true) {
        ctx.audit.summary = `would create a row in data source ${id}`;
        const { page, changes } = await previewPage(connection, null, properties, schema);
        const sent = [{ method: 'POST', path: '/v1/pages', body }, ...markdownRequest('{new page}')];
        return { preview: { page, ...dryRunAnswer(sent, changes) } };
      }
      return {
        created: (await withTemplateErrors(client, id, input.template, () =>
          client.pages.create(body as never),
        )) as PageObjectResponse,
      };
    });
    if (outcome.preview) return outcome.preview;
    created = outcome.created!;
  } else {
    if (input.properties) {
      throw new GatewayError('validation_failed', 'A sub-page has only a title: pass title, not properties.', {
        pointer: '/properties',
      });
    }
    const parentId = input.parent_page_id;
    if (input.dry_run === true) {
      if (parentId) {
        // The same check as the real run: the parent must be a page shared with the connection.
        await withIdKind(connection, parentId, 'page', 'parent_page_id', () =>
          connection.notion().pages.retrieve({ page_id: parentId }),
        );
      }
      const properties = { title: { title: textToRichText(input.title ?? '') } } as NotionPropertyValues;
      const parent = parentId ? { type: 'page_id', page_id: parentId } : { type: 'workspace', workspace: true };
      ctx.audit.summary = `would create a page under ${parentId ?? 'the workspace'}`;
      const { page, changes } = await previewPage(connection, null, properties, null);
      const sent = [{ method: 'POST', path: '/v1/pages', body: { parent, properties, ...icon } }];
      return { page, ...dryRunAnswer([...sent, ...markdownRequest('{new page}')], changes) };
    }
    created = parentId
      ? await subPage(connection, parentId, input.title ?? '', icon)
      : await workspacePage(connection, input.title ?? '', icon);
  }
  ctx.audit.summary = `created page ${created.id}`;
  if (input.content_markdown) {
    await markdownClient(connection).pages.updateMarkdown({
      page_id: created.id,
      type: 'insert_content',
      insert_content: { content: input.content_markdown },
    });
  }
  return { page: await compactWithTitles(connection, created) };
};

type Icon = { icon?: { type: 'emoji'; emoji: never } };

async function subPage(connection: ResolvedConnection, parentId: string, title: string, icon: Icon) {
  return (await withIdKind(connection, parentId, 'page', 'parent_page_id', () =>
    connection.notion().pages.create({
      parent: { type: 'page_id', page_id: parentId },
      properties: { title: { title: textToRichText(title) } } as NotionPropertyValues,
      ...icon,
    }),
  )) as PageObjectResponse;
}

/**
 * No parent: a workspace-level page, which Notion allows public (OAuth) integrations only. An internal integration is
 * told how to give it a place to write instead of Notion's bare validation error.
 */
async function workspacePage(connection: ResolvedConnection, title: string, icon: Icon) {
  try {
    return (await connection.notion().pages.create({
      parent: { type: 'workspace', workspace: true },
      properties: { title: { title: textToRichText(title) } } as NotionPropertyValues,
      ...icon,
    })) as PageObjectResponse;
  } catch (error) {
    if (!(error instanceof APIResponseError) || (error.status !== 400 && error.status !== 403)) throw error;
    throw new GatewayError(
      'validation_failed',
      'parent_page_id: this connection cannot create pages at the top of the workspace (Notion allows that for public integrations only). Share a page with the integration (in Notion: open the page, ••• menu → Connections → add this integration), then pass its id or URL as parent_page_id, or pass data_source_id for a row.',
      {
        pointer: '/parent_page_id',
        field: 'parent_page_id',
        expected: 'the id of a page shared with the integration, or data_source_id',
        example: { parent_page_id: '<id or URL of a shared page>', title: 'Meeting notes' },
        notion_message: error.message,
      },
    );
  }
}

export const notion_page_get: Operation<'notion_page_get'> = async (input, ctx, services) => {
  const connection = connectionOf(ctx);
  const id = idFromField(input.page_id, 'page_id', 'a Notion page id or a notion.so page URL');
  const page = (await withIdKind(connection, id, 'page', 'page_id', () =>
    connection.notion().pages.retrieve({ page_id: id }),
  )) as PageObjectResponse;
  const compact = await compactWithTitles(connection, page);
  if (!input.include_markdown && input.cursor === undefined) return { page: compact };
  const { markdown, markdown_truncated } = await readMarkdown(connection, id);
  const answer = (part: BodyPart) => ({
    page: compact,
    markdown: part.text,
    markdown_truncated,
    ...(part.next_cursor ? { markdown_next_cursor: part.next_cursor } : {}),
  });
  const limit = services.limits.maxResponseChars;
  return answer(bodyPart(markdown, input.cursor, (part) => ctx.measure(answer(part)) <= limit));
};

export const notion_page_update: Operation<'notion_page_update'> = async (input, ctx, services) => {
  const connection = connectionOf(ctx);
  const id = idFromField(input.page_id, 'page_id', 'a Notion page id or a notion.so page URL');
  if (input.append_markdown !== undefined && input.replace_markdown !== undefined) {
    throw new GatewayError('validation_failed', 'Send append_markdown or replace_markdown, not both.', {
      pointer: '/replace_markdown',
    });
  }
  const client = connection.notion();
  let page = (await withIdKind(connection, id, 'page', 'page_id', () =>
    client.pages.retrieve({ page_id: id }),
  )) as PageObjectResponse;
  ctx.audit.summary = `changed page ${id}`;
  const dry = input.dry_run === true;
  const sent: WouldSend[] = [];
  let built: NotionPropertyValues = {};
  let schema: DataSourceSchema | null = null;
  if (input.properties && Object.keys(input.properties).length > 0) {
    const parent = page.parent as { type: string; data_source_id?: string };
    const properties = parent.data_source_id
      ? await services.dataSources.withSchema(connection, { data_source_id: parent.data_source_id }, (source) => {
          schema = source.schema;
          return buildPropertyValues(
            input.properties!,
            source.schema,
            valueOptionsFor(services.dataSources, connection, input),
          );
        })
      : titleOnly(input.properties, page);
    built = properties;
    if (dry) sent.push({ method: 'PATCH', path: `/v1/pages/${id}`, body: { properties } });
    else page = (await client.pages.update({ page_id: id, properties })) as PageObjectResponse;
  }
  if (dry) {
    ctx.audit.summary = `would change page ${id}`;
    if (input.in_trash !== undefined)
      sent.push({ method: 'PATCH', path: `/v1/pages/${id}`, body: { in_trash: input.in_trash } });
    if (input.append_markdown !== undefined)
      sent.push({
        method: 'PATCH',
        path: `/v1/pages/${id}/markdown`,
        body: { type: 'insert_content', insert_content: { content: input.append_markdown } },
      });
    else if (input.replace_markdown !== undefined)
      sent.push({
        method: 'PATCH',
        path: `/v1/pages/${id}/markdown`,
        body: {
          type: 'replace_content',
          replace_content: { new_str: input.replace_markdown, allow_deleting_content: true },
        },
      });
    const preview = await previewPage(connection, page, built, schema, { in_trash: input.in_trash });
    return { page: preview.page, ...dryRunAnswer(sent, preview.changes) };
  }
  if (input.in_trash !== undefined) {
    page = (await client.pages.update({ page_id: id, in_trash: input.in_trash })) as PageObjectResponse;
  }
  const changesBody = input.append_markdown !== undefined || input.replace_markdown !== undefined;
  if (input.append_markdown !== undefined) {
    await markdownClient(connection).pages.updateMarkdown({
      page_id: id,
      type: 'insert_content',
      insert_content: { content: input.append_markdown },
    });
  } else if (input.replace_markdown !== undefined) {
    await markdownClient(connection).pages.updateMarkdown({
      page_id: id,
      type: 'replace_content',
      replace_content: { new_str: input.replace_markdown, allow_deleting_content: true },
    });
  }
  return {
    page: await compactWithTitles(connection, page),
    ...(changesBody ? await readMarkdown(connection, id) : {}),
  };
};

/** A page under a page has one property, its title. */
function titleOnly(properties: Record<string, unknown>, page: PageObjectResponse): NotionPropertyValues {
  const [titleName] = Object.entries(page.properties).find(([, v]) => v.type === 'title') ?? ['title'];
  const names = Object.keys(properties);
  const given = properties[titleName] ?? properties.title;
  if (names.length !== 1 || typeof given !== 'string') {
    throw new GatewayError('invalid_property', `A sub-page has only its title: pass {"${titleName}": "New title"}.`, {
      property: names.find((n) => n !== titleName) ?? titleName,
      expected: 'the title as a string',
      example: { [titleName]: 'New title' },
    });
  }
  return { [titleName]: { title: textToRichText(given) } } as NotionPropertyValues;
}
