/**
 * The property builder / normalizer: friendly schemas and values ↔ Notion's, with errors a model can fix by itself.
 * Pure functions, no HTTP (resolvers for emails and titles are the caller's). See README.md in this folder.
 */
export {
  type CompactDate,
  type CompactFile,
  type CompactOptions,
  type CompactPage,
  type CompactRelated,
  type CompactUser,
  type CompactValue,
  compactDate,
  compactPage,
  compactValue,
} from './compact.ts';
export { sameValue } from './compare.ts';
export { closest, type InvalidPropertyDetails, invalidProperty } from './errors.ts';
export { buildFilter, buildSorts, isNativeFilter, type Sort } from './filter.ts';
export { findProperty, lookupProperty } from './lookup.ts';
export {
  canonicalSpans,
  MAX_RICH_TEXT_ITEMS,
  MAX_TEXT_LENGTH,
  parseMarkdownSpans,
  plainText,
  richTextToMarkdown,
  spansToMarkdown,
  spansToRichText,
  splitText,
  type TextSpan,
  textToRichText,
} from './rich-text.ts';
export {
  buildCreateSchema,
  buildUpdateSchema,
  compactSchema,
  type FriendlyOption,
  type FriendlyPropertySchema,
  schemaSummary,
} from './schema.ts';
export type {
  DataSourceSchema,
  NotionCreateSchema,
  NotionPropertyValue,
  NotionPropertyValues,
  NotionUpdateSchema,
  PagePropertyValue,
  PropertySchema,
} from './types.ts';
export { COMPUTED_TYPES, SCHEMA_TYPES, WRITABLE_TYPES } from './types.ts';
export { buildPropertyValue, buildPropertyValues, pageIdOf, type ValueOptions } from './values.ts';
