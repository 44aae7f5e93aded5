/**
 * The Notion shapes the property builder reads and writes, named once from @notionhq/client's types; the type,
 * colour and rollup-function lists below are checked against those types when they compile.
 */
import type {
  CreateDataSourceParameters,
  CreatePageParameters,
  DataSourceObjectResponse,
  PageObjectResponse,
  RichTextItemResponse,
  UpdateDataSourceParameters,
} from '@notionhq/client';

/** A data source's `properties` as `GET /v1/data_sources/:id` answers them: property name → schema. */
export type DataSourceSchema = DataSourceObjectResponse['properties'];
/** One property's schema in a retrieved data source. */
export type PropertySchema = DataSourceSchema[string];
/** A property type a data source can hold. */
export type PropertyType = PropertySchema['type'] | 'button';

/** `properties` of `POST /v1/data_sources` (and `initial_data_source.properties` of `POST /v1/databases`). */
export type NotionCreateSchema = CreateDataSourceParameters['properties'];
export type NotionCreatePropertySchema = NotionCreateSchema[string];
/** `properties` of `PATCH /v1/data_sources/:id`: a schema, a rename `{name}` or `null` (remove). */
export type NotionUpdateSchema = NonNullable<UpdateDataSourceParameters['properties']>;
export type NotionUpdatePropertySchema = NotionUpdateSchema[string];

/** `properties` of `POST /v1/pages` and `PATCH /v1/pages/:id`. */
export type NotionPropertyValues = NonNullable<CreatePageParameters['properties']>;
export type NotionPropertyValue = NotionPropertyValues[string];
export type RichTextRequest = Extract<NotionPropertyValue, { title: unknown }>['title'];
/** A rollup's aggregation, as a retrieved schema names it. */
export type RollupFunction = Extract<PropertySchema, { type: 'rollup' }>['rollup']['function'];
/** An option's colour, as a retrieved select schema names it. */
export type OptionColorName = Extract<PropertySchema, { type: 'select' }>['select']['options'][number]['color'];
export type RichTextItemRequest = RichTextRequest[number];

/** A property value of a retrieved page. */
export type PagePropertyValue = PageObjectResponse['properties'][string];
export type { PageObjectResponse, RichTextItemResponse };

/** Types whose values Notion computes: their schemas can be created, their values never written. */
export const COMPUTED_TYPES = [
  'formula',
  'rollup',
  'created_time',
  'created_by',
  'last_edited_time',
  'last_edited_by',
  'unique_id',
  'button',
] as const satisfies readonly PropertyType[];

/** Types whose values the builder writes. */
export const WRITABLE_TYPES = [
  'title',
  'rich_text',
  'number',
  'select',
  'multi_select',
  'status',
  'date',
  'people',
  'files',
  'checkbox',
  'url',
  'email',
  'phone_number',
  'relation',
] as const satisfies readonly PropertyType[];
export type WritableType = (typeof WRITABLE_TYPES)[number];

/** Every type the friendly schema format creates. */
export const SCHEMA_TYPES = [...WRITABLE_TYPES, ...COMPUTED_TYPES] as const;
export type SchemaType = (typeof SCHEMA_TYPES)[number];

export const isComputedType = (t: string): boolean => (COMPUTED_TYPES as readonly string[]).includes(t);
export const isWritableType = (t: string): t is WritableType => (WRITABLE_TYPES as readonly string[]).includes(t);

/** Option colours of select, multi-select and status properties. */
export const OPTION_COLORS = [
  'default',
  'gray',
  'brown',
  'orange',
  'yellow',
  'green',
  'blue',
  'purple',
  'pink',
  'red',
] as const satisfies readonly OptionColorName[];
export type OptionColor = (typeof OPTION_COLORS)[number];

export const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Type names a caller may write in `{"type": …}` besides the real ones, for schemas and values alike. */
export const TYPE_ALIASES = {
  text: 'rich_text',
  multiselect: 'multi_select',
  'multi-select': 'multi_select',
  phone: 'phone_number',
  person: 'people',
  user: 'people',
  users: 'people',
  file: 'files',
  boolean: 'checkbox',
} as const satisfies Record<string, string>;

export const aliasOf = (given: string): string => (TYPE_ALIASES as Record<string, string>)[given] ?? given;
