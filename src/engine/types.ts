/**
 * Engine types derived from the generated contract: an operation's input is its JSON body merged with its path and
 * query parameters (one object, as MCP tools take it), its output is the envelope's `result`.
 */
import type { operations } from '../../generated/api-types.ts';

export type OperationId = keyof operations;

type BodyOf<Op extends OperationId> = operations[Op] extends {
  requestBody: { content: { 'application/json': infer Body } };
}
  ? Body
  : unknown;

type ParamsOf<Op extends OperationId> = (operations[Op]['parameters'] extends { query?: infer Q }
  ? Q extends Record<string, unknown>
    ? Q
    : unknown
  : unknown) &
  (operations[Op]['parameters'] extends { path?: infer P }
    ? P extends Record<string, unknown>
      ? P
      : unknown
    : unknown);

export type Input<Op extends OperationId> = BodyOf<Op> & ParamsOf<Op>;

export type Output<Op extends OperationId> = operations[Op]['responses'][200]['content']['application/json'] extends {
  result: infer Result;
}
  ? Result
  : never;
