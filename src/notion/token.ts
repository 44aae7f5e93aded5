/**
 * What a Notion token may look like before it is used or mentioned anywhere. Notion's tokens (`secret_…`, `ntn_…`,
 * OAuth access tokens) are short runs of URL-safe characters; a value with a newline, NUL, space or non-ASCII byte
 * would otherwise reach an HTTP header (where undici's `invalid header value` error would quote it into a log line).
 */
import { GatewayError } from '../shared/errors.ts';

/** RFC 6750 b64token characters, at most 512 of them. */
const PLAUSIBLE_TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
export const MAX_TOKEN_LENGTH = 512;

/** Why the value cannot be a Notion token (never quoting it), or null when it can. */
export function notionTokenProblem(token: string): string | null {
  if (token.length === 0) return 'it is empty';
  if (token.length > MAX_TOKEN_LENGTH) return `it is longer than ${MAX_TOKEN_LENGTH} characters`;
  if (!PLAUSIBLE_TOKEN.test(token)) {
    return 'it contains characters no Notion token has (only letters, digits and - . _ ~ + / = are possible)';
  }
  return null;
}

/** Throws `connection_invalid` (400) for a value that cannot be a Notion token. */
export function assertPlausibleNotionToken(token: string): void {
  const problem = notionTokenProblem(token);
  if (problem) {
    throw new GatewayError('connection_invalid', `This is not a Notion token: ${problem}.`, { reason: 'token_format' });
  }
}
