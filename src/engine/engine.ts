/**
 * The engine's single entry point. Both adapters (src/http, src/mcp) call `invoke` with an operationId from the
 * generated contract, so REST and MCP reach the same function by construction. Cross-cutting behaviour that must be
 * identical on both surfaces (audit log, idempotency, pacing: later issues) belongs here, not in an adapter.
 */
import { toGatewayError } from '../notion/errors.ts';
import type { EngineContext, EngineServices } from './context.ts';
import { GatewayError } from './errors.ts';
import { operations } from './operations/index.ts';
import type { Input, OperationId, Output } from './types.ts';

export class Engine {
  readonly services: EngineServices;

  constructor(services: EngineServices) {
    this.services = services;
  }

  static isOperation(id: string): id is OperationId {
    return Object.hasOwn(operations, id);
  }

  /** Runs an operation. Throws only GatewayError: anything unexpected is logged and becomes `internal_error`. */
  async invoke<Op extends OperationId>(operationId: Op, input: Input<Op>, ctx: EngineContext): Promise<Output<Op>> {
    const operation = operations[operationId] as unknown as (
      input: Input<Op>,
      ctx: EngineContext,
      services: EngineServices,
    ) => Promise<Output<Op>>;
    let result: Output<Op>;
    try {
      result = await operation(input, ctx, this.services);
    } catch (error) {
      const mapped = toGatewayError(error);
      if (mapped) throw mapped;
      // The stack goes to the log (with the request id), never to the caller.
      ctx.logger.error({ err: error, operationId }, 'unexpected engine error');
      throw new GatewayError(
        'internal_error',
        `Unexpected error; quote request id ${ctx.requestId} when reporting it.`,
      );
    }
    this.#checkResponseSize(result);
    return result;
  }

  /** ChatGPT Actions reject responses of 100,000 characters or more: refuse with a way out rather than be cut off. */
  #checkResponseSize(result: unknown): void {
    const chars = JSON.stringify(result).length;
    const limit = this.services.limits.maxResponseChars;
    if (chars > limit) {
      throw new GatewayError(
        'response_too_large',
        `The result is ${chars} characters; the limit is ${limit}. Ask for less: a smaller page_size, filter_properties, or a narrower query.`,
        { chars, limit },
      );
    }
  }
}
