/**
 * Maps what the Notion SDK throws onto the gateway's error envelope: Notion's own code, status and message are kept
 * (they tell the caller what to fix), the SDK's internals are not.
 */
import { APIResponseError, isNotionClientError, RequestTimeoutError, UnknownHTTPResponseError } from '@notionhq/client';
import { GatewayError } from '../shared/errors.ts';

export function toGatewayError(error: unknown): GatewayError | null {
  // Network failures (refused, reset, timed out, cut mid-body) are GatewayErrors already: the call policy's.
  if (error instanceof GatewayError) return error;
  if (!isNotionClientError(error)) return null;
  if (error instanceof RequestTimeoutError) {
    return new GatewayError('notion_unreachable', 'Notion did not answer in time. Try again later.', {
      notion_code: error.code,
    });
  }
  if (error instanceof APIResponseError || error instanceof UnknownHTTPResponseError) {
    const rateLimited = error.status === 429;
    return new GatewayError(
      rateLimited ? 'rate_limited' : 'notion_error',
      rateLimited
        ? 'Notion is rate limiting this connection even after retries. Wait a minute, then retry.'
        : `Notion refused the request: ${error.message}`,
      {
        notion_code: error.code,
        notion_status: error.status,
        notion_message: error.message,
        ...(error.request_id ? { notion_request_id: error.request_id } : {}),
      },
      // Forward Notion's client errors as they are (400, 404, 409…); a Notion 5xx is a bad gateway from our side.
      rateLimited ? 429 : error.status >= 500 ? 502 : error.status,
    );
  }
  // InvalidPathParameterError: the allowlist refuses such paths first, so reaching here is a gateway bug.
  return new GatewayError('internal_error', 'The gateway built an invalid Notion request.', {
    notion_code: error.code,
  });
}

/**
 * Notion has no such object for this connection: 404, or 400 when the id names an object of another kind (a page id
 * where a data source is expected). Callers that treat "missing" as an answer (fetch, upsert's remembered page) use it.
 */
export const isMissingObject = (error: unknown): boolean =>
  error instanceof APIResponseError && (error.status === 404 || error.status === 400);
