import { NOTION_API_VERSION } from '../../notion/client.ts';
import { toGatewayError } from '../../notion/errors.ts';
import type { Operation } from './operation.ts';

/** Version, build and a live users/me probe through the connection a call without connection_id would use. */
export const meta_get: Operation<'meta_get'> = async (_input, ctx, services) => {
  const base = {
    service: 'notion-gateway' as const,
    version: services.build.version,
    build: services.build.sha,
    notion_api_version: NOTION_API_VERSION,
  };
  const available = await services.connections.list(ctx.principal);
  if (available.length === 0) return { ...base, notion: { reachable: null } };
  try {
    const connection = await services.connections.resolve(ctx.principal, null);
    const client = services.notion.for(connection.summary.connection_id, await connection.accessToken());
    await client.users.me({});
    return { ...base, notion: { reachable: true } };
  } catch (error) {
    const mapped = toGatewayError(error);
    if (!mapped) throw error;
    // Several connections and no default: there is no connection to probe, which says nothing about Notion.
    if (mapped.code === 'connection_required') return { ...base, notion: { reachable: null } };
    const notionCode = mapped.details.notion_code;
    return { ...base, notion: { reachable: false, error: typeof notionCode === 'string' ? notionCode : mapped.code } };
  }
};
