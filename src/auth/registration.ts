/**
 * Limits on Dynamic Client Registration (`POST /oauth/register`, RFC 7591), checked before oidc-provider sees the
 * request: registrations per client address (rate-limiter-flexible, in process), the metadata's size, the number of
 * redirect URIs, and their kind: https, or plain http on a loopback host only (OAuth 2.1 §2.3.1, native apps' local
 * listeners). Refusals use the RFC 7591 error shape the registering client expects (`error`, `error_description`).
 *
 * A registered client that is never used expires (UNUSED_CLIENT_TTL_SECONDS; the adapter stores it with that expiry
 * and extends it to the lifetime of each grant or refresh token issued to it); expired records are purged by the
 * authorization server's sweep.
 */
import type { Context } from 'koa';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

export const MAX_REGISTRATION_BYTES = 8 * 1024;
export const MAX_REDIRECT_URIS = 10;
export const MAX_REDIRECT_URI_LENGTH = 2048;
/** Registrations per client address and minute. */
export const REGISTRATIONS_PER_MINUTE = 10;
/** How long a registered client lives without any grant. */
export const UNUSED_CLIENT_TTL_SECONDS = 24 * 3600;

const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** Why `uri` may not be a redirect URI, or null when it may. */
export function redirectUriProblem(uri: unknown): string | null {
  if (typeof uri !== 'string' || uri === '') return 'each redirect URI must be a non-empty string';
  if (uri.length > MAX_REDIRECT_URI_LENGTH)
    return `a redirect URI may be at most ${MAX_REDIRECT_URI_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return `${uri.slice(0, 100)} is not an absolute URL`;
  }
  if (url.hash) return `${uri.slice(0, 100)}: a redirect URI has no fragment`;
  if (url.protocol === 'https:') return null;
  if (url.protocol === 'http:') {
    if (LOOPBACK.has(url.hostname.toLowerCase())) return null;
    return `${uri.slice(0, 100)}: plain http is allowed only on a loopback host (127.0.0.1, [::1], localhost); use https`;
  }
  // Private-use schemes (com.example.app:/cb) of native apps.
  if (/^[a-z][a-z0-9+.-]*\.[a-z0-9+.-]+:$/.test(url.protocol)) return null;
  return `${uri.slice(0, 100)}: a redirect URI is https, loopback http, or a private-use scheme (com.example.app:/cb)`;
}

export interface RegistrationGuard {
  /**
   * Checks one registration request. On refusal it answers (ctx.status/body set) and returns false; otherwise the
   * body has been read and is left on `req.body` for oidc-provider, and it returns true.
   */
  admit(ctx: Context, clientAddress: string): Promise<boolean>;
}

function refuse(ctx: Context, status: number, error: string, description: string) {
  ctx.status = status;
  ctx.set('Cache-Control', 'no-store');
  ctx.body = { error, error_description: description };
}

export function createRegistrationGuard(perMinute = REGISTRATIONS_PER_MINUTE): RegistrationGuard {
  const limiter = new RateLimiterMemory({ points: perMinute, duration: 60 });
  return {
    async admit(ctx, clientAddress) {
      try {
        await limiter.consume(clientAddress || 'unknown');
      } catch (error) {
        if (!(error instanceof RateLimiterRes)) throw error;
        ctx.set('Retry-After', String(Math.max(1, Math.ceil(error.msBeforeNext / 1000))));
        refuse(ctx, 429, 'rate_limited', `At most ${perMinute} client registrations a minute from one address.`);
        return false;
      }
      const declared = Number(ctx.get('content-length') || 0);
      if (declared > MAX_REGISTRATION_BYTES) {
        refuse(ctx, 413, 'invalid_client_metadata', `Client metadata may be at most ${MAX_REGISTRATION_BYTES} bytes.`);
        return false;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of ctx.req) {
        size += (chunk as Buffer).length;
        if (size > MAX_REGISTRATION_BYTES) {
          refuse(
            ctx,
            413,
            'invalid_client_metadata',
            `Client metadata may be at most ${MAX_REGISTRATION_BYTES} bytes.`,
          );
          ctx.set('Connection', 'close');
          return false;
        }
        chunks.push(chunk as Buffer);
      }
      const raw = Buffer.concat(chunks);
      (ctx.req as { body?: unknown }).body = raw;
      if (!ctx.is('application/json')) return true; // the provider answers the content-type refusal itself
      let metadata: unknown;
      try {
        metadata = JSON.parse(raw.toString('utf8'));
      } catch {
        return true; // …and the parse error
      }
      if (!metadata || typeof metadata !== 'object' || Array.isArray(metadata)) return true;
      const uris = (metadata as { redirect_uris?: unknown }).redirect_uris;
      if (uris === undefined) return true;
      if (!Array.isArray(uris)) {
        refuse(ctx, 400, 'invalid_redirect_uri', 'redirect_uris must be an array of URLs.');
        return false;
      }
      if (uris.length > MAX_REDIRECT_URIS) {
        refuse(
          ctx,
          400,
          'invalid_redirect_uri',
          `At most ${MAX_REDIRECT_URIS} redirect URIs per client (got ${uris.length}).`,
        );
        return false;
      }
      for (const uri of uris) {
        const problem = redirectUriProblem(uri);
        if (problem) {
          refuse(ctx, 400, 'invalid_redirect_uri', problem);
          return false;
        }
      }
      return true;
    },
  };
}
