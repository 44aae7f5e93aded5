/**
 * The one error type the engine throws. Adapters render it into the standard envelope
 * (REST: `{ok:false,error:{code,message,details}}`, MCP: an `isError` tool result).
 * `code` strings are part of the public contract: never rename one.
 */
import type { components } from '../../generated/api-types.ts';

/** The codes come from the contract (spec/common.tsp, ErrorCode); the status table below must cover each one. */
export type ErrorCode = components['schemas']['ErrorCode'];

const defaultStatus: Record<ErrorCode, number> = {
  bad_request: 400,
  validation_failed: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  payload_too_large: 413,
  response_too_large: 422,
  method_not_allowed: 405,
  path_not_allowed: 403,
  invalid_id: 400,
  connection_required: 400,
  connection_not_found: 404,
  connection_invalid: 400,
  oauth_state_invalid: 400,
  oauth_failed: 502,
  oauth_not_configured: 501,
  notion_error: 502,
  notion_unreachable: 502,
  rate_limited: 429,
  not_implemented: 501,
  internal_error: 500,
  idempotency_key_reused: 422,
  idempotency_key_in_flight: 409,
  notion_outcome_unknown: 502,
  notion_request_blocked: 429,
  read_only: 403,
  write_not_allowed: 400,
  audit_unavailable: 503,
  undo_conflict: 409,
  undo_unavailable: 422,
  cursor_stale: 409,
  draining: 503,
  ambiguous_data_source: 400,
  ambiguous_match: 409,
  use_job: 422,
  invalid_reference: 400,
  unsupported_media_type: 415,
  request_timeout: 408,
  host_not_allowed: 403,
  invalid_property: 400,
  connection_forbidden: 403,
};

export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, status?: number) {
    super(message);
    this.name = 'GatewayError';
    this.code = code;
    this.details = details;
    this.status = status ?? defaultStatus[code];
  }
}

export const isGatewayError = (e: unknown): e is GatewayError => e instanceof GatewayError;

/** The `error` member of the envelope, identical on every surface. */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
  details: Record<string, unknown>;
}

export const toErrorBody = (e: GatewayError): ErrorBody => ({ code: e.code, message: e.message, details: e.details });
