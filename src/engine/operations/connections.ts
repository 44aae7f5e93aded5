import { GatewayError } from '../../shared/errors.ts';
import type { Operation } from './operation.ts';

export const connections_list: Operation<'connections_list'> = async (_input, ctx, services) => {
  const connections = await services.connections.list(ctx.principal);
  const ids = new Set(connections.map((c) => c.connection_id));
  const only = connections.length === 1 ? connections[0]!.connection_id : null;
  const configured =
    services.defaultConnectionId && ids.has(services.defaultConnectionId) ? services.defaultConnectionId : null;
  return { connections, default_connection_id: only ?? configured };
};

/** Adding a workspace is the operator's decision: a ChatGPT user (OAuth 2.1, later) connects through OAuth instead. */
function requireOperator(principal: { kind: string }): void {
  if (principal.kind !== 'operator') {
    throw new GatewayError('forbidden', 'Only the operator can add connections with an integration token.');
  }
}

export const connections_create: Operation<'connections_create'> = async (input, ctx, services) => {
  requireOperator(ctx.principal);
  const saved = await services.connections.createInternal(ctx.principal, input.token);
  ctx.audit.connectionId = saved.connection.connection_id;
  ctx.audit.summary = `${saved.created ? 'connected' : 'updated the token of'} workspace ${saved.connection.workspace_name ?? saved.connection.workspace_id ?? '?'}`;
  return saved;
};

export const connections_refresh: Operation<'connections_refresh'> = async (input, ctx, services) => {
  ctx.audit.connectionId = input.connection_id;
  ctx.audit.summary = 'refreshed the connection token';
  return services.connections.refresh(ctx.principal, input.connection_id);
};

export const connections_delete: Operation<'connections_delete'> = async (input, ctx, services) => {
  ctx.audit.connectionId = input.connection_id;
  ctx.audit.summary = input.remote === true ? 'removed the connection and revoked its token' : 'removed the connection';
  const removed = await services.connections.remove(ctx.principal, input.connection_id, {
    remote: input.remote === true,
  });
  // What the connection shared leaves with it: its body index too.
  await services.searchIndex.deleteConnection(removed.connection_id);
  return removed;
};
