/** The shape of an engine operation and what the pipeline may ask of it (see src/engine/engine.ts). */
import type { EngineServices, OperationContext } from '../context.ts';
import type { Input, OperationId, Output } from '../types.ts';

export type Operation<Op extends OperationId> = (
  input: Input<Op>,
  ctx: OperationContext,
  services: EngineServices,
) => Promise<Output<Op>>;

/** What the pipeline may ask an operation beyond running it. */
export interface OperationHooks<Op extends OperationId> {
  /** Whether this call writes, when that depends on the input (notion_request: its route). Default: the policy. */
  writes?: (input: Input<Op>) => boolean;
  /** A write's result reduced to an acknowledgement (ids, urls, counts) when it is too large to return. */
  compact?: (result: Output<Op>) => Output<Op>;
}

/** The operation's connection (its policy says `connection: required`, so the pipeline has resolved it). */
export function connectionOf(ctx: OperationContext) {
  if (!ctx.connection) throw new Error('operation needs a connection its policy does not declare');
  return ctx.connection;
}
