import type { Operation } from './index.ts';

export const connections_list: Operation<'connections_list'> = async (_input, ctx, services) => {
  const connections = await services.connections.list(ctx.principal);
  const ids = new Set(connections.map((c) => c.connection_id));
  const only = connections.length === 1 ? connections[0]!.connection_id : null;
  const configured =
    services.defaultConnectionId && ids.has(services.defaultConnectionId) ? services.defaultConnectionId : null;
  return { connections, default_connection_id: only ?? configured };
};
