/**
 * notion_request: the generic, allow-listed Notion proxy (seed §7.2.1). The allowlist in src/notion/allowlist.ts
 * decides what may pass; this function enforces the size limits and hands the call to the SDK.
 */
import { checkQuery, resolveAllowedRoute } from '../../notion/allowlist.ts';
import { GatewayError } from '../errors.ts';
import type { Operation } from './index.ts';

export const notion_request: Operation<'notion_request'> = async (input, ctx, services) => {
  const route = resolveAllowedRoute(input.method, input.path);
  const query = checkQuery(route.rule, input.query);
  const body = input.body;
  if (body !== undefined && (route.method === 'GET' || route.method === 'DELETE')) {
    throw new GatewayError('bad_request', `${route.method} requests take no body; put parameters in \`query\`.`, {
      pointer: '/body',
    });
  }
  const bodyBytes = body === undefined ? 0 : Buffer.byteLength(JSON.stringify(body));
  if (bodyBytes > services.limits.maxNotionBodyBytes) {
    throw new GatewayError(
      'payload_too_large',
      `The Notion body is ${bodyBytes} bytes; Notion accepts at most ${services.limits.maxNotionBodyBytes}. Split the change (e.g. append blocks in batches of 100).`,
      { bytes: bodyBytes, limit: services.limits.maxNotionBodyBytes },
    );
  }
  const connection = await services.connections.resolve(ctx.principal, input.connection_id);
  const client = await services.notion.for(connection, route.rule.notionVersion);
  ctx.logger.debug({ method: route.method, path: route.path }, 'notion_request');
  const response = await client.request<Record<string, unknown>>({
    method: route.method.toLowerCase() as 'get' | 'post' | 'patch' | 'delete',
    path: route.path,
    query: Object.keys(query).length > 0 ? query : undefined,
    body,
  });
  return { method: route.method, path: `/v1/${route.path}`, response };
};
