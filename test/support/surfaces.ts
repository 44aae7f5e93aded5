/**
 * One operation through either surface, answered the same way: REST (the operation's route, read from the generated
 * contract by operationId) or MCP (the tool of that name). Tests that check parity call this instead of keeping a
 * route table of their own.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { loadGeneratedDocument } from '../../src/contract/openapi.ts';
import { api } from './gateway.ts';

export type Surface = 'rest' | 'mcp';

export interface SurfaceAnswer {
  result: any;
  error: any;
  meta: any;
  requestId: string | undefined;
  /** REST only: the HTTP status. */
  status?: number;
}

const routes = new Map<string, { method: string; path: string }>();
for (const [path, item] of Object.entries(loadGeneratedDocument('openapi.full.json').paths)) {
  for (const [method, operation] of Object.entries(item as Record<string, { operationId?: string }>)) {
    if (operation?.operationId) routes.set(operation.operationId, { method: method.toUpperCase(), path });
  }
}

export function operationCaller(gatewayUrl: string, mcp: Client) {
  return async (surface: Surface, tool: string, args: Record<string, unknown>): Promise<SurfaceAnswer> => {
    if (surface === 'rest') {
      const route = routes.get(tool);
      if (!route || route.path.includes('{')) throw new Error(`no body-only REST route for ${tool}`);
      const res = await api(gatewayUrl)(route.method, route.path, args);
      const meta = res.json?.meta;
      return {
        result: res.json?.result,
        error: res.json?.error,
        meta,
        requestId: meta?.request_id,
        status: res.status,
      };
    }
    const res = await mcp.callTool({ name: tool, arguments: args });
    if (res.isError) {
      const body = JSON.parse((res.content as Array<{ text: string }>)[0]!.text);
      return { result: null, error: body.error, meta: null, requestId: body.meta?.request_id };
    }
    const meta = res._meta as Record<string, unknown> | undefined;
    return { result: res.structuredContent, error: null, meta, requestId: meta?.request_id as string | undefined };
  };
}
