/**
 * notion_request and notion_read: the allow-listed Notion proxy. The allowlist in src/notion/allowlist.ts decides what
 * may pass and whether a route reads or writes; notion_read takes reads only, notion_request takes every route.
 * A dry run of a write is checked as the real one (route, query, body) and answers what would be sent.
 */
import { type AllowedRequest, checkQuery, resolveAllowedRoute } from '../../notion/allowlist.ts';
import { GatewayError } from '../../shared/errors.ts';
import type { EngineServices, OperationContext } from '../context.ts';
import { idOfRoute, withIdKind } from '../id-kinds.ts';
import { acknowledgement } from '../pipeline/size.ts';
import type { Input, Output } from '../types.ts';
import { connectionOf, type Operation, type OperationHooks } from './operation.ts';

type ProxyInput = Input<'notion_request'> | Input<'notion_read'>;

async function proxy(
  route: AllowedRequest,
  input: ProxyInput,
  ctx: OperationContext,
  services: EngineServices,
): Promise<Output<'notion_request'>> {
  const query = checkQuery(route.rule, input.query);
  const bodyless = route.method === 'GET' || route.method === 'DELETE';
  // Clients often send `body: {}` with every call: on a GET or DELETE an empty body carries nothing, so it is dropped.
  const body = bodyless && isEmptyObject(input.body) ? undefined : input.body;
  if (body !== undefined && bodyless) {
    throw new GatewayError(
      'bad_request',
      `body: ${route.method} requests take no body; put parameters in \`query\` (e.g. \`"query": {"page_size": "10"}\`) or leave body out.`,
      { pointer: '/body', field: 'body', expected: 'no body (or {})', example: { query: { page_size: '10' } } },
    );
  }
  const bodyBytes = body === undefined ? 0 : Buffer.byteLength(JSON.stringify(body));
  if (bodyBytes > services.limits.maxNotionBodyBytes) {
    throw new GatewayError(
      'payload_too_large',
      `The Notion body is ${bodyBytes} bytes; Notion accepts at most ${services.limits.maxNotionBodyBytes}. Split the change (e.g. append blocks in batches of 100).`,
      { bytes: bodyBytes, limit: services.limits.maxNotionBodyBytes },
    );
  }
  const path = `/v1/${route.path}`;
  ctx.audit.summary = `${route.method} ${path}`;
  ctx.audit.method = route.method;
  ctx.audit.path = path;
  for (const segment of route.path.split('/')) if (/^[0-9a-f-]{36}$/.test(segment)) ctx.audit.notionIds.add(segment);
  const client = connectionOf(ctx).notion(route.rule.notionVersion);
  ctx.logger.debug({ method: route.method, path: route.path }, 'notion proxy');
  const send = () =>
    client.request<Record<string, unknown>>({
      method: route.method.toLowerCase() as 'get' | 'post' | 'patch' | 'delete',
      path: route.path,
      query: Object.keys(query).length > 0 ? query : undefined,
      body,
    });
  const target = idOfRoute(route.path);
  // A refused id in the path may be another kind of object (a data source under /v1/pages/…): name it.
  const guarded = <T>(run: () => Promise<T>) =>
    target ? withIdKind(connectionOf(ctx), target.id, target.kind, 'path', run) : run();
  if ('dry_run' in input && input.dry_run === true && route.kind === 'write') {
    ctx.audit.summary = `would send ${route.method} ${path}`;
    const would_send = [{ method: route.method, path, body: body ?? {} }];
    const changes = await changesOf(route, body, client, guarded);
    return { method: route.method, path, response: {}, dry_run: true, would_send, changes };
  }
  const response = await guarded(send);
  return { method: route.method, path, response };
}

/** The objects a PATCH can change whose current state one GET reads: `/v1/<collection>/<id>` exactly. */
const PATCHED_OBJECTS = new Set(['pages', 'blocks', 'data_sources', 'databases']);

/**
 * A dry PATCH of a page, block, data source or database: each top-level field of the body (and each property under
 * `properties`) before → after, the before read from Notion with one GET. Other writes answer no changes.
 */
async function changesOf(
  route: AllowedRequest,
  body: Record<string, unknown> | undefined,
  client: ReturnType<ReturnType<typeof connectionOf>['notion']>,
  guarded: <T>(run: () => Promise<T>) => Promise<T>,
): Promise<Record<string, { before: unknown; after: unknown }>> {
  const segments = route.path.split('/');
  if (route.method !== 'PATCH' || segments.length !== 2 || !PATCHED_OBJECTS.has(segments[0]!) || !body) return {};
  const current = await guarded(() => client.request<Record<string, unknown>>({ method: 'get', path: route.path }));
  const changes: Record<string, { before: unknown; after: unknown }> = {};
  for (const [key, after] of Object.entries(body)) {
    if (key === 'properties' && after !== null && typeof after === 'object' && !Array.isArray(after)) {
      const now = (current.properties ?? {}) as Record<string, unknown>;
      for (const [name, value] of Object.entries(after)) changes[name] = { before: now[name] ?? null, after: value };
    } else {
      changes[key] = { before: current[key] ?? null, after };
    }
  }
  return changes;
}

const isEmptyObject = (value: unknown): boolean =>
  value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0;

export const notion_request: Operation<'notion_request'> = async (input, ctx, services) =>
  proxy(resolveAllowedRoute(input.method, input.path), input, ctx, services);

export const notion_read: Operation<'notion_read'> = async (input, ctx, services) => {
  const route = resolveAllowedRoute(input.method, input.path);
  if (route.kind !== 'read') {
    throw new GatewayError(
      'write_not_allowed',
      `${route.method} /v1/${route.rule.template} changes Notion: notion_read only reads. Call notion_request for it.`,
      { use: 'notion_request', method: route.method, path: input.path },
      400,
    );
  }
  return proxy(route, input, ctx, services);
};

/** Whether a proxied call writes, from its route; a path the allowlist refuses counts as a write (and is audited). */
function writes(input: Input<'notion_request'>): boolean {
  try {
    return resolveAllowedRoute(input.method, input.path).kind === 'write';
  } catch {
    return true;
  }
}

export const notionRequestHooks: OperationHooks<'notion_request'> = {
  writes,
  compact: (result) => ({ ...result, response: acknowledgement(result.response), compacted: true }),
};
