/**
 * The engine's operations, keyed by the operationIds generated from spec/. The mapped type makes the compiler refuse
 * a build in which an operation of the contract has no implementation (or one has the wrong input/output types).
 */
import type { EngineContext, EngineServices } from '../context.ts';
import type { Input, OperationId, Output } from '../types.ts';
import { connections_create, connections_delete, connections_list, connections_refresh } from './connections.ts';
import { health } from './health.ts';
import { meta_get } from './meta.ts';
import { notion_request } from './notion-request.ts';
import { notion_search } from './search.ts';

export type Operation<Op extends OperationId> = (
  input: Input<Op>,
  ctx: EngineContext,
  services: EngineServices,
) => Promise<Output<Op>>;

export const operations: { [Op in OperationId]: Operation<Op> } = {
  health,
  meta_get,
  connections_list,
  connections_create,
  connections_refresh,
  connections_delete,
  notion_request,
  notion_search,
};
