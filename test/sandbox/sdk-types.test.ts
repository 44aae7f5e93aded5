// Compile-time contract: every renderer (stored object → response JSON) and every route handler returns what
// @notionhq/client's types say the endpoint answers. `npx tsc -p tsconfig.json --noEmit` fails when one drifts
// (CI runs tsc); the runtime assertions below only make vitest list the file.
import type {
  AppendBlockChildrenResponse,
  BlockObjectResponse,
  ChildDatabaseBlockObjectResponse,
  ChildPageBlockObjectResponse,
  Client,
  CommentObjectResponse,
  CreateCommentResponse,
  CreateDatabaseResponse,
  CreateDataSourceResponse,
  CreatePageResponse,
  CreateViewResponse,
  DatabaseObjectResponse,
  DataSourceObjectResponse,
  DataSourceViewObjectResponse,
  DeleteBlockResponse,
  DeleteCommentResponse,
  DeleteViewQueryResponse,
  DeleteViewResponse,
  GetBlockResponse,
  GetCommentResponse,
  GetDatabaseResponse,
  GetDataSourceResponse,
  GetPagePropertyResponse,
  GetPageResponse,
  GetSelfResponse,
  GetUserResponse,
  GetViewQueryResultsResponse,
  GetViewResponse,
  ListBlockChildrenResponse,
  ListCommentsResponse,
  ListDatabaseViewsResponse,
  ListUsersResponse,
  MovePageResponse,
  OauthIntrospectResponse,
  OauthRevokeResponse,
  OauthTokenResponse,
  PageObjectResponse,
  PartialUserObjectResponse,
  QueryDataSourceResponse,
  RichTextItemResponse,
  SearchResponse,
  UpdateBlockResponse,
  UpdateCommentResponse,
  UpdateDatabaseResponse,
  UpdateDataSourceResponse,
  UpdatePageResponse,
  UpdateViewResponse,
  UserObjectResponse,
  ViewQueryResponse,
} from '@notionhq/client';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { blockJson, blockListJson, type blockRoutes, blockViews } from '../../tools/notion-sandbox/blocks.ts';
import { commentJson, type commentRoutes } from '../../tools/notion-sandbox/comments.ts';
import { dataSourceJson, type dataSourceRoutes } from '../../tools/notion-sandbox/data-sources.ts';
import { databaseJson, type databaseRoutes } from '../../tools/notion-sandbox/databases.ts';
import { databaseParentJson } from '../../tools/notion-sandbox/databases-shared.ts';
import { type markdownRoutes, pageMarkdownJson } from '../../tools/notion-sandbox/markdown.ts';
import { issueTokens, type oauthRoutes } from '../../tools/notion-sandbox/oauth.ts';
import { pageJson, pagePropertyJson, type pageRoutes } from '../../tools/notion-sandbox/pages.ts';
import {
  propertySchemaJson,
  propertyValue,
  renderPageProperties,
  schemaJson,
} from '../../tools/notion-sandbox/properties.ts';
import { textItem, toRichText } from '../../tools/notion-sandbox/richtext.ts';
import type { searchRoutes } from '../../tools/notion-sandbox/search.ts';
import { listUsersJson, partialUser, userJson, type userRoutes } from '../../tools/notion-sandbox/users.ts';
import { viewJson, type viewRoutes } from '../../tools/notion-sandbox/views.ts';

type PageMarkdownResponse = Awaited<ReturnType<Client['pages']['retrieveMarkdown']>>;
type UpdatePageMarkdownResponse = Awaited<ReturnType<Client['pages']['updateMarkdown']>>;
type ListDataSourceTemplatesResponse = Awaited<ReturnType<Client['dataSources']['listTemplates']>>;

/** The return type of the handler serving `method template` in a route table. */
type Served<
  R extends readonly { method: string; template: string; handler: (...a: never[]) => unknown }[],
  K,
> = Awaited<
  ReturnType<
    Extract<
      R[number],
      { method: K extends `${infer M} ${string}` ? M : never; template: K extends `${string} ${infer T}` ? T : never }
    >['handler']
  >
>;
type OauthRoutes = ReturnType<typeof oauthRoutes>;

describe('renderers return the SDK response types', () => {
  it('objects', () => {
    expectTypeOf(userJson).returns.toEqualTypeOf<UserObjectResponse>();
    expectTypeOf(partialUser).returns.toEqualTypeOf<PartialUserObjectResponse>();
    expectTypeOf(pageJson).returns.toEqualTypeOf<PageObjectResponse>();
    expectTypeOf(blockJson).returns.toEqualTypeOf<BlockObjectResponse | null>();
    expectTypeOf(blockViews.page).returns.toEqualTypeOf<ChildPageBlockObjectResponse | null>();
    expectTypeOf(blockViews.database).returns.toEqualTypeOf<ChildDatabaseBlockObjectResponse | null>();
    expectTypeOf(databaseJson).returns.toEqualTypeOf<DatabaseObjectResponse>();
    expectTypeOf(databaseParentJson).returns.toEqualTypeOf<DatabaseObjectResponse['parent']>();
    expectTypeOf(dataSourceJson).returns.toEqualTypeOf<DataSourceObjectResponse>();
    expectTypeOf(commentJson).returns.toEqualTypeOf<CommentObjectResponse>();
    expectTypeOf(viewJson).returns.toEqualTypeOf<DataSourceViewObjectResponse>();
    expectTypeOf(issueTokens).returns.toEqualTypeOf<OauthTokenResponse>();
    expectTypeOf(pageMarkdownJson).returns.toEqualTypeOf<PageMarkdownResponse>();
  });

  it('properties and rich text', () => {
    expectTypeOf(renderPageProperties).returns.toEqualTypeOf<PageObjectResponse['properties']>();
    expectTypeOf(propertyValue).returns.toMatchTypeOf<
      Omit<PageObjectResponse['properties'][string], 'id'> | { type: 'rollup' }
    >();
    expectTypeOf(propertySchemaJson).returns.toEqualTypeOf<DataSourceObjectResponse['properties'][string]>();
    expectTypeOf(schemaJson).returns.toEqualTypeOf<DataSourceObjectResponse['properties']>();
    expectTypeOf(pagePropertyJson).returns.toEqualTypeOf<GetPagePropertyResponse>();
    expectTypeOf(toRichText).returns.toEqualTypeOf<RichTextItemResponse[]>();
    expectTypeOf(textItem).returns.toEqualTypeOf<RichTextItemResponse>();
  });

  it('lists', () => {
    expectTypeOf(listUsersJson).returns.toEqualTypeOf<ListUsersResponse>();
    expectTypeOf(blockListJson).returns.toMatchTypeOf<ListBlockChildrenResponse>();
    expectTypeOf(blockListJson).returns.toMatchTypeOf<AppendBlockChildrenResponse>();
  });
});

describe('route handlers return what the SDK method resolves to', () => {
  it('users', () => {
    expectTypeOf<Served<typeof userRoutes, 'GET /v1/users/me'>>().toMatchTypeOf<GetSelfResponse>();
    expectTypeOf<Served<typeof userRoutes, 'GET /v1/users'>>().toMatchTypeOf<ListUsersResponse>();
    expectTypeOf<Served<typeof userRoutes, 'GET /v1/users/:user_id'>>().toMatchTypeOf<GetUserResponse>();
  });

  it('pages and markdown', () => {
    expectTypeOf<Served<typeof pageRoutes, 'POST /v1/pages'>>().toMatchTypeOf<CreatePageResponse>();
    expectTypeOf<Served<typeof pageRoutes, 'GET /v1/pages/:page_id'>>().toMatchTypeOf<GetPageResponse>();
    expectTypeOf<Served<typeof pageRoutes, 'PATCH /v1/pages/:page_id'>>().toMatchTypeOf<UpdatePageResponse>();
    expectTypeOf<Served<typeof pageRoutes, 'POST /v1/pages/:page_id/move'>>().toMatchTypeOf<MovePageResponse>();
    expectTypeOf<
      Served<typeof pageRoutes, 'GET /v1/pages/:page_id/properties/:property_id'>
    >().toMatchTypeOf<GetPagePropertyResponse>();
    expectTypeOf<
      Served<typeof markdownRoutes, 'GET /v1/pages/:page_id/markdown'>
    >().toMatchTypeOf<PageMarkdownResponse>();
    expectTypeOf<
      Served<typeof markdownRoutes, 'PATCH /v1/pages/:page_id/markdown'>
    >().toMatchTypeOf<UpdatePageMarkdownResponse>();
  });

  it('blocks', () => {
    expectTypeOf<Served<typeof blockRoutes, 'GET /v1/blocks/:block_id'>>().toMatchTypeOf<GetBlockResponse>();
    expectTypeOf<Served<typeof blockRoutes, 'PATCH /v1/blocks/:block_id'>>().toMatchTypeOf<UpdateBlockResponse>();
    expectTypeOf<Served<typeof blockRoutes, 'DELETE /v1/blocks/:block_id'>>().toMatchTypeOf<DeleteBlockResponse>();
    expectTypeOf<
      Served<typeof blockRoutes, 'GET /v1/blocks/:block_id/children'>
    >().toMatchTypeOf<ListBlockChildrenResponse>();
    expectTypeOf<
      Served<typeof blockRoutes, 'PATCH /v1/blocks/:block_id/children'>
    >().toMatchTypeOf<AppendBlockChildrenResponse>();
  });

  it('databases and data sources', () => {
    expectTypeOf<Served<typeof databaseRoutes, 'POST /v1/databases'>>().toMatchTypeOf<CreateDatabaseResponse>();
    expectTypeOf<
      Served<typeof databaseRoutes, 'GET /v1/databases/:database_id'>
    >().toMatchTypeOf<GetDatabaseResponse>();
    expectTypeOf<
      Served<typeof databaseRoutes, 'PATCH /v1/databases/:database_id'>
    >().toMatchTypeOf<UpdateDatabaseResponse>();
    expectTypeOf<Served<typeof dataSourceRoutes, 'POST /v1/data_sources'>>().toMatchTypeOf<CreateDataSourceResponse>();
    expectTypeOf<
      Served<typeof dataSourceRoutes, 'GET /v1/data_sources/:data_source_id'>
    >().toMatchTypeOf<GetDataSourceResponse>();
    expectTypeOf<
      Served<typeof dataSourceRoutes, 'PATCH /v1/data_sources/:data_source_id'>
    >().toMatchTypeOf<UpdateDataSourceResponse>();
    expectTypeOf<
      Served<typeof dataSourceRoutes, 'POST /v1/data_sources/:data_source_id/query'>
    >().toMatchTypeOf<QueryDataSourceResponse>();
    expectTypeOf<
      Served<typeof dataSourceRoutes, 'GET /v1/data_sources/:data_source_id/templates'>
    >().toMatchTypeOf<ListDataSourceTemplatesResponse>();
  });

  it('search, comments, views', () => {
    expectTypeOf<Served<typeof searchRoutes, 'POST /v1/search'>>().toMatchTypeOf<SearchResponse>();
    expectTypeOf<Served<typeof commentRoutes, 'POST /v1/comments'>>().toMatchTypeOf<CreateCommentResponse>();
    expectTypeOf<Served<typeof commentRoutes, 'GET /v1/comments'>>().toMatchTypeOf<ListCommentsResponse>();
    expectTypeOf<Served<typeof commentRoutes, 'GET /v1/comments/:comment_id'>>().toMatchTypeOf<GetCommentResponse>();
    expectTypeOf<
      Served<typeof commentRoutes, 'PATCH /v1/comments/:comment_id'>
    >().toMatchTypeOf<UpdateCommentResponse>();
    expectTypeOf<
      Served<typeof commentRoutes, 'DELETE /v1/comments/:comment_id'>
    >().toMatchTypeOf<DeleteCommentResponse>();
    expectTypeOf<Served<typeof viewRoutes, 'POST /v1/views'>>().toMatchTypeOf<CreateViewResponse>();
    expectTypeOf<Served<typeof viewRoutes, 'GET /v1/views'>>().toMatchTypeOf<ListDatabaseViewsResponse>();
    expectTypeOf<Served<typeof viewRoutes, 'GET /v1/views/:view_id'>>().toMatchTypeOf<GetViewResponse>();
    expectTypeOf<Served<typeof viewRoutes, 'PATCH /v1/views/:view_id'>>().toMatchTypeOf<UpdateViewResponse>();
    expectTypeOf<Served<typeof viewRoutes, 'DELETE /v1/views/:view_id'>>().toMatchTypeOf<DeleteViewResponse>();
    expectTypeOf<Served<typeof viewRoutes, 'POST /v1/views/:view_id/queries'>>().toMatchTypeOf<ViewQueryResponse>();
    expectTypeOf<
      Served<typeof viewRoutes, 'GET /v1/views/:view_id/queries/:query_id'>
    >().toMatchTypeOf<GetViewQueryResultsResponse>();
    expectTypeOf<
      Served<typeof viewRoutes, 'DELETE /v1/views/:view_id/queries/:query_id'>
    >().toMatchTypeOf<DeleteViewQueryResponse>();
  });

  it('oauth', () => {
    expectTypeOf<Served<OauthRoutes, 'POST /v1/oauth/token'>>().toMatchTypeOf<OauthTokenResponse>();
    expectTypeOf<Served<OauthRoutes, 'POST /v1/oauth/revoke'>>().toMatchTypeOf<OauthRevokeResponse>();
    expectTypeOf<Served<OauthRoutes, 'POST /v1/oauth/introspect'>>().toMatchTypeOf<OauthIntrospectResponse>();
    expect(typeof issueTokens).toBe('function');
  });
});
