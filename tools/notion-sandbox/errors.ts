// Notion-shaped errors. Handlers throw NotionError; server.ts turns it into
// {object:"error", status, code, message, request_id} — the shape the SDK parses into APIResponseError.

export class NotionError extends Error {
  status: number;
  code: string;
  headers: Record<string, string>;
  extra: Record<string, unknown>;
  constructor(
    status: number,
    code: string,
    message: string,
    headers: Record<string, string> = {},
    extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
    this.extra = extra;
  }
}

export const validation = (message: string): NotionError => new NotionError(400, 'validation_error', message);
export const invalidRequest = (message: string): NotionError => new NotionError(400, 'invalid_request', message);
export const invalidJson = (message = 'Error parsing JSON body.'): NotionError =>
  new NotionError(400, 'invalid_json', message);
export const unauthorized = (message = 'API token is invalid.'): NotionError =>
  new NotionError(401, 'unauthorized', message);
export const conflict = (message = 'Conflict occurred while saving. Please try again.'): NotionError =>
  new NotionError(409, 'conflict_error', message);

/** Notion's wording for a missing or inaccessible object. */
export const notFound = (id: string, kind = 'block'): NotionError =>
  new NotionError(
    404,
    'object_not_found',
    `Could not find ${kind} with ID: ${id}. Make sure the relevant pages and databases are shared with your integration.`,
  );

export const invalidUrl = (method: string, path: string): NotionError =>
  new NotionError(400, 'invalid_request_url', `Invalid request URL: ${method} ${path}`);

export function errorBody(err: NotionError, requestId: string): Record<string, unknown> {
  return {
    object: 'error',
    status: err.status,
    code: err.code,
    message: err.message,
    request_id: requestId,
    ...err.extra,
  };
}
