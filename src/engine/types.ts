/**
 * Engine types derived from the generated contract: an operation's input is its JSON body merged with its path and
 * query parameters (one object, as MCP tools take it), its output is the envelope's `result`.
 */
import type { components, operations } from '../../generated/api-types.ts';
import type { operationPolicies } from '../../generated/operations.ts';

/** The engine's operations: those the contract gives an x-engine policy. */
export type OperationId = keyof typeof operationPolicies;

/** The others are answered by HTTP glue (browser redirects of the Notion OAuth flow, src/http/oauth.ts). */
export type HttpOnlyOperationId = Exclude<keyof operations, OperationId>;

type BodyOf<Op extends keyof operations> = operations[Op] extends {
  requestBody: { content: { 'application/json': infer Body } };
}
  ? Body
  : unknown;

type ParamsOf<Op extends keyof operations> = (operations[Op]['parameters'] extends { query?: infer Q }
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

/** A named model of the contract (spec/models), as the generated types spell it. */
export type Model<Name extends keyof components['schemas']> = components['schemas'][Name];

export type Output<Op extends OperationId> = operations[Op]['responses'][200]['content']['application/json'] extends {
  result: infer Result;
}
  ? Result
  : never;

/** What invoking an operation gives: its result, and whether it was replayed for a repeated idempotency key. */
export interface Outcome<Op extends OperationId> {
  result: Output<Op>;
  /** The stored result of an earlier request with the same idempotency key: nothing ran. */
  replayed: boolean;
}
