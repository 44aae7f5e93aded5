// The @notionhq/client types the sandbox's renderers and handlers are checked against (type-only; nothing here
// exists at runtime). Types the SDK uses but does not export are derived from the exported ones or from Client.
import type {
  Client,
  DatabaseObjectResponse,
  DataSourceObjectResponse,
  DataSourceViewObjectResponse,
  PageObjectResponse,
  QueryDataSourceResponse,
} from '@notionhq/client';

export type {
  AppendBlockChildrenParameters,
  AppendBlockChildrenResponse,
  BlockObjectResponse,
  ChildDatabaseBlockObjectResponse,
  ChildPageBlockObjectResponse,
  CommentObjectResponse,
  CreateCommentParameters,
  CreateDatabaseParameters,
  CreateDataSourceParameters,
  CreatePageParameters,
  CreateViewParameters,
  CreateViewQueryParameters,
  DatabaseObjectResponse,
  DataSourceObjectResponse,
  DataSourceViewObjectResponse,
  DeletedViewQueryResponse,
  DeleteViewResponse,
  GetPagePropertyResponse,
  GetViewQueryResultsResponse,
  ListBlockChildrenResponse,
  ListCommentsResponse,
  ListDatabaseViewsResponse,
  ListUsersResponse,
  MovePageParameters,
  OauthIntrospectParameters,
  OauthIntrospectResponse,
  OauthRevokeParameters,
  OauthRevokeResponse,
  OauthTokenParameters,
  OauthTokenResponse,
  PageObjectResponse,
  PartialUserObjectResponse,
  PropertyItemListResponse,
  PropertyItemObjectResponse,
  QueryDataSourceParameters,
  QueryDataSourceResponse,
  RichTextItemResponse,
  SearchParameters,
  SearchResponse,
  UpdateBlockParameters,
  UpdateCommentParameters,
  UpdateDatabaseParameters,
  UpdateDataSourceParameters,
  UpdatePageParameters,
  UpdateViewParameters,
  UserObjectResponse,
  ViewQueryResponse,
} from '@notionhq/client';

type Returned<F> = F extends (...args: never[]) => Promise<infer R> ? R : never;
type Argument<F> = F extends (...args: never[]) => unknown ? Parameters<F>[0] : never;

/** One entry of `page.properties` (id + typed value). */
export type PagePropertyValue = PageObjectResponse['properties'][string];
/** A rollup's value (number / date / array / unsupported, plus `function`). */
export type RollupValueResponse = Extract<PagePropertyValue, { type: 'rollup' }>['rollup'];
/** One element of a `show_original` rollup array: any non-rollup property value, without `id`. */
export type RollupArrayItem = Extract<RollupValueResponse, { type: 'array' }>['array'][number];
/** `PagePropertyValue` without its `id` (what rollups, formulas and filters work on). */
export type PropertyValueWithoutId = RollupArrayItem | { type: 'rollup'; rollup: RollupValueResponse };
/** One entry of `data_source.properties` (a property schema). */
export type PropertySchemaResponse = DataSourceObjectResponse['properties'][string];
export type PageIconResponse = NonNullable<PageObjectResponse['icon']>;
export type PageCoverResponse = NonNullable<PageObjectResponse['cover']>;
/** Parent of a page or block. */
export type BlockParentResponse = PageObjectResponse['parent'];
export type DatabaseParentResponse = DatabaseObjectResponse['parent'];
export type DataSourceParentResponse = DataSourceObjectResponse['parent'];
export type QueryResult = QueryDataSourceResponse['results'][number];

export type PageMarkdownResponse = Returned<Client['pages']['retrieveMarkdown']>;
export type UpdatePageMarkdownParameters = Argument<Client['pages']['updateMarkdown']>;
export type ListDataSourceTemplatesResponse = Returned<Client['dataSources']['listTemplates']>;

type KeysOfUnion<T> = T extends unknown ? keyof T : never;

/**
 * A request body as the handler receives it: the field names of the SDK's `…Parameters` type (reading a field the
 * SDK does not define is a compile error), each value still `unknown` because nothing has been validated yet.
 * The handler's validation narrows a value to what the SDK type says valid input looks like.
 */
export type Untrusted<P> = { [K in KeysOfUnion<P>]?: unknown };

type SchemaOf<T extends PropertySchemaResponse['type']> = Extract<PropertySchemaResponse, { type: T }>;
/** A select / multi-select option as a data source schema lists it. */
export type SelectOptionResponse = SchemaOf<'select'>['select']['options'][number];
export type SelectColor = SelectOptionResponse['color'];
export type RollupFunction = SchemaOf<'rollup'>['rollup']['function'];
export type StatusConfigResponse = SchemaOf<'status'>['status'];
export type RollupConfigResponse = SchemaOf<'rollup'>['rollup'];
/** The value payload of a page property of type T, e.g. `{id, name, color} | null` for select. */
export type PropertyValueOf<T extends PropertyValueWithoutId['type']> = T extends unknown
  ? Extract<PropertyValueWithoutId, { type: T }> extends infer V
    ? V extends Record<T, infer X>
      ? X
      : never
    : never
  : never;
export type FormulaValueResponse = PropertyValueOf<'formula'>;
export type ViewType = DataSourceViewObjectResponse['type'];
export type ViewFilterResponse = NonNullable<DataSourceViewObjectResponse['filter']>;
export type ViewSortResponse = NonNullable<DataSourceViewObjectResponse['sorts']>[number];
export type ViewConfigResponse = NonNullable<DataSourceViewObjectResponse['configuration']>;
