/**
 * The Notion API routes the generic proxy (`notion_request`) may reach, and the parser that maps a caller's
 * method + path onto one of them. It fails closed: anything not listed, any id that is not a Notion UUID and any
 * path trick (`..`, percent-encoding, absolute URLs, query strings, doubled slashes) is refused before the SDK sees it.
 * That matters because @notionhq/client puts ids into URL paths unencoded: `x/children` as an id changes the route.
 *
 * Left out on purpose: `/v1/oauth/*` (token exchange belongs to the gateway, never to a caller), file-upload sends
 * (multipart, not JSON), and Notion's agent/session routes (not part of the public 2025-09-03 surface we serve).
 */
import { GatewayError } from '../shared/errors.ts';
import { normaliseUuid } from '../shared/ids.ts';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** Notion refuses request bodies over 500 KB; refusing them before sending gives a precise error instead of Notion's. */
export const NOTION_MAX_BODY_BYTES = 500 * 1024;

/** Notion-Version the page-Markdown routes need (the rest speak the SDK's default, 2025-09-03). */
export const MARKDOWN_NOTION_VERSION = '2026-03-11';

/**
 * `read` changes nothing in Notion (every GET, search, data-source and view queries): retried on transient failures,
 * served by notion_read, never audited. `write` changes something: never re-sent after an ambiguous failure.
 */
export type RouteKind = 'read' | 'write';

interface RouteRule {
  method: HttpMethod;
  /** Default: GET is a read, everything else a write. */
  kind?: RouteKind;
  /** Segments; `{id}` is a Notion UUID, `{property_id}` a page-property id. */
  template: string;
  /** Query parameters Notion documents for this route; others are refused. */
  query?: readonly string[];
  notionVersion?: string;
}

const PAGING = ['start_cursor', 'page_size'] as const;

export const ALLOWED_ROUTES: readonly RouteRule[] = [
  { method: 'GET', template: 'users', query: PAGING },
  { method: 'GET', template: 'users/me' },
  { method: 'GET', template: 'users/{id}' },
  { method: 'POST', template: 'search', kind: 'read' },
  { method: 'POST', template: 'pages', query: ['filter_properties'] },
  { method: 'GET', template: 'pages/{id}', query: ['filter_properties'] },
  { method: 'PATCH', template: 'pages/{id}', query: ['filter_properties'] },
  { method: 'POST', template: 'pages/{id}/move' },
  { method: 'GET', template: 'pages/{id}/properties/{property_id}', query: PAGING },
  {
    method: 'GET',
    template: 'pages/{id}/markdown',
    query: ['include_transcript'],
    notionVersion: MARKDOWN_NOTION_VERSION,
  },
  { method: 'PATCH', template: 'pages/{id}/markdown', notionVersion: MARKDOWN_NOTION_VERSION },
  { method: 'GET', template: 'blocks/{id}' },
  { method: 'PATCH', template: 'blocks/{id}' },
  { method: 'DELETE', template: 'blocks/{id}' },
  { method: 'GET', template: 'blocks/{id}/children', query: PAGING },
  { method: 'PATCH', template: 'blocks/{id}/children' },
  { method: 'POST', template: 'databases' },
  { method: 'GET', template: 'databases/{id}' },
  { method: 'PATCH', template: 'databases/{id}' },
  { method: 'POST', template: 'data_sources' },
  { method: 'GET', template: 'data_sources/{id}' },
  { method: 'PATCH', template: 'data_sources/{id}' },
  { method: 'POST', template: 'data_sources/{id}/query', query: ['filter_properties'], kind: 'read' },
  { method: 'GET', template: 'data_sources/{id}/templates', query: ['name', ...PAGING] },
  { method: 'POST', template: 'views' },
  { method: 'GET', template: 'views', query: ['database_id', 'data_source_id', ...PAGING] },
  { method: 'GET', template: 'views/{id}' },
  { method: 'PATCH', template: 'views/{id}' },
  { method: 'DELETE', template: 'views/{id}' },
  { method: 'POST', template: 'views/{id}/queries', kind: 'read' },
  { method: 'GET', template: 'views/{id}/queries/{id}', query: PAGING },
  { method: 'DELETE', template: 'views/{id}/queries/{id}' },
  { method: 'POST', template: 'comments' },
  { method: 'GET', template: 'comments', query: ['block_id', ...PAGING] },
  { method: 'GET', template: 'comments/{id}' },
  { method: 'GET', template: 'file_uploads', query: ['status', ...PAGING] },
  { method: 'GET', template: 'file_uploads/{id}' },
  // Creating an upload (an external_url import above all) and completing a multi-part one are JSON; sending the bytes
  // is multipart/form-data, which the JSON proxy cannot carry: notion_file_upload does it.
  { method: 'POST', template: 'file_uploads' },
  { method: 'POST', template: 'file_uploads/{id}/complete' },
];

export interface AllowedRequest {
  method: HttpMethod;
  /** Path relative to `/v1/`, ids normalised: what the SDK's `request({ path })` takes. */
  path: string;
  rule: RouteRule;
  kind: RouteKind;
}

export const kindOf = (rule: RouteRule): RouteKind => rule.kind ?? (rule.method === 'GET' ? 'read' : 'write');

/**
 * Whether a request the SDK is about to send reads or writes, for the call policy (src/notion/call-policy.ts).
 * Anything not on the allowlist (OAuth token exchange, revocation) counts as a write: never re-sent blindly.
 */
export function classifyNotionCall(method: string, relativePath: string): RouteKind {
  const upper = method.toUpperCase();
  const segments = relativePath
    .replace(/^\/?(v1\/)?/, '')
    .replace(/\/$/, '')
    .split('/');
  const rule = ALLOWED_ROUTES.find((r) => r.method === upper && matchTemplate(r.template, segments));
  return rule ? kindOf(rule) : 'write';
}

const notAllowed = (message: string, details: Record<string, unknown> = {}) =>
  new GatewayError('path_not_allowed', message, details);

// Characters no allowed route ever needs: encodings, query/fragment, backslashes, whitespace, schemes.
const FORBIDDEN_IN_PATH = /[%?#\\\s]|:\/\/|\/\//;

/** Page-property ids are short opaque strings (`title`, `a%3Bb` decoded to `a;b`); never a path separator. */
function normalisePropertyId(raw: string): string | null {
  if (!/^[A-Za-z0-9_\-:;=<>@!*~'()[\]{}|^`$&+,]{1,64}$/.test(raw) || /^\.+$/.test(raw)) return null;
  return encodeURIComponent(raw);
}

function matchTemplate(template: string, segments: string[]): string[] | null {
  const parts = template.split('/');
  if (parts.length !== segments.length) return null;
  const out: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const segment = segments[i]!;
    if (part === '{id}') {
      const id = normaliseUuid(segment);
      if (!id) return null;
      out.push(id);
    } else if (part === '{property_id}') {
      const propertyId = normalisePropertyId(segment);
      if (!propertyId) return null;
      out.push(propertyId);
    } else if (part === segment) {
      out.push(segment);
    } else {
      return null;
    }
  }
  return out;
}

/** Maps a caller's method + path onto an allow-listed Notion route, or throws `path_not_allowed`. */
export function resolveAllowedRoute(method: string, rawPath: string): AllowedRequest {
  const upper = method.toUpperCase();
  if (FORBIDDEN_IN_PATH.test(rawPath) || rawPath.includes('..')) {
    throw notAllowed(
      'The path must be a plain Notion API path such as /v1/pages/{page_id}: no host, "..", percent-encoding, query string or fragment (put query parameters in `query`).',
      { path: rawPath },
    );
  }
  const relative = rawPath.replace(/^\/?(v1\/)?/, '').replace(/\/$/, '');
  if (relative.startsWith('oauth/') || relative === 'oauth') {
    throw notAllowed('OAuth routes are handled by the gateway itself and cannot be proxied.', { path: rawPath });
  }
  const segments = relative.split('/');
  for (const rule of ALLOWED_ROUTES) {
    if (rule.method !== upper) continue;
    const matched = matchTemplate(rule.template, segments);
    if (matched) return { method: rule.method, path: matched.join('/'), rule, kind: kindOf(rule) };
  }
  if (upper === 'POST' && matchTemplate('file_uploads/{id}/send', segments)) {
    throw notAllowed(
      "Sending a file upload's bytes is multipart/form-data, which this JSON proxy does not carry: call notion_file_upload (POST /v1/files/upload) with data_base64 or url.",
      { path: rawPath, use: 'notion_file_upload' },
    );
  }
  if (upper === 'POST' && matchTemplate('databases/{id}/query', segments)) {
    // The pre-2025-09-03 query route: the most likely mistake of a model trained on older docs.
    throw notAllowed(
      'Since Notion API 2025-09-03 a database holds data sources and rows are queried per data source: POST /v1/data_sources/{data_source_id}/query. GET /v1/databases/{database_id} lists its data_sources[].id.',
      { path: rawPath, use_path: '/v1/data_sources/{data_source_id}/query' },
    );
  }
  const sameTemplateOtherMethod = ALLOWED_ROUTES.filter((r) => matchTemplate(r.template, segments)).map(
    (r) => r.method,
  );
  if (sameTemplateOtherMethod.length > 0) {
    throw notAllowed(`${upper} is not allowed on ${rawPath}; allowed: ${sameTemplateOtherMethod.join(', ')}.`, {
      path: rawPath,
      allowed_methods: sameTemplateOtherMethod,
    });
  }
  throw notAllowed(
    `${upper} ${rawPath} is not an allow-listed Notion route (ids must be Notion UUIDs). Allowed: pages, blocks, databases, data_sources, views, comments, users, search, file_uploads.`,
    { path: rawPath },
  );
}

function decodable(value: string): boolean {
  try {
    decodeURIComponent(value);
    return true;
  } catch {
    return false;
  }
}

export type QueryValue = string | number | boolean | string[];

/** Query parameters must be documented for the route and scalar (or a list of strings, for filter_properties). */
export function checkQuery(rule: RouteRule, query: Record<string, unknown> | undefined): Record<string, QueryValue> {
  const out: Record<string, QueryValue> = {};
  for (const [key, value] of Object.entries(query ?? {})) {
    if (!rule.query?.includes(key)) {
      throw new GatewayError(
        'bad_request',
        `Query parameter "${key}" is not accepted on ${rule.method} /v1/${rule.template}${rule.query ? `; accepted: ${rule.query.join(', ')}` : ''}.`,
        { parameter: key },
      );
    }
    const scalar = ['string', 'number', 'boolean'].includes(typeof value);
    const stringList = Array.isArray(value) && value.every((v) => typeof v === 'string');
    if (!scalar && !stringList) {
      throw new GatewayError(
        'bad_request',
        `Query parameter "${key}" must be a string, number, boolean or list of strings.`,
        {
          parameter: key,
        },
      );
    }
    // The SDK percent-decodes each item of a list (not scalars): a malformed escape would throw inside it.
    if (Array.isArray(value)) {
      for (const item of value as string[]) {
        if (!decodable(item)) {
          throw new GatewayError(
            'bad_request',
            `Query parameter "${key}" has an item with malformed percent-encoding; list items are percent-decoded, so write "%" as "%25".`,
            { parameter: key },
          );
        }
      }
    }
    out[key] = value as QueryValue;
  }
  return out;
}
