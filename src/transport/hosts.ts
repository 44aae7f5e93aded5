/**
 * Host and Origin checks against DNS rebinding. A web page on evil.example whose name is re-pointed at 127.0.0.1 can
 * make the browser call the gateway as a "same-origin" request: the browser then sends `Host: evil.example` (and
 * `Origin: http://evil.example`), which is what this refuses. With MCP_AUTH=none nothing else would stand in the way.
 *
 * An allowed entry is a host name (any port) or `host:port` (that port only); IPv6 literals are bracketed (`[::1]`).
 */
import type { Context, Next } from 'koa';
import { GatewayError } from '../shared/errors.ts';

interface HostPort {
  hostname: string;
  port: string | null;
}

/** `example.com`, `example.com:8080`, `[::1]:8080` → lower-cased name (no trailing dot) and port; null if malformed. */
export function parseHostHeader(value: string): HostPort | null {
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+)(?::([0-9]{1,5}))?$/.exec(value.trim());
  if (!match) return null;
  return { hostname: match[1]!.toLowerCase().replace(/\.$/, ''), port: match[2] ?? null };
}

/** Each allow-list parsed once (the lists live as long as the gateway). */
const parsedLists = new WeakMap<readonly string[], HostPort[]>();
function rulesOf(allowed: readonly string[]): HostPort[] {
  let rules = parsedLists.get(allowed);
  if (!rules) {
    rules = allowed.map(parseHostHeader).filter((rule): rule is HostPort => rule !== null);
    parsedLists.set(allowed, rules);
  }
  return rules;
}

export function hostAllowed(allowed: readonly string[], value: string): boolean {
  const host = parseHostHeader(value);
  if (!host) return false;
  return rulesOf(allowed).some(
    (rule) => rule.hostname === host.hostname && (rule.port === null || rule.port === host.port),
  );
}

/** An Origin header is allowed when it is an http(s) origin whose host (with its port) is allowed. */
export function originAllowed(allowed: readonly string[], origin: string): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false; // includes the opaque origin "null" (sandboxed frames, file:// pages)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return hostAllowed(allowed, `${url.hostname}:${port}`);
}

/** Koa middleware: 403 unless Host (as Koa resolves it, X-Forwarded-Host under TRUST_PROXY) and Origin are allowed. */
export function hostGuard(allowed: readonly string[]) {
  return async (ctx: Context, next: Next) => {
    if (!hostAllowed(allowed, ctx.host)) {
      throw new GatewayError(
        'host_not_allowed',
        'This Host is not one the gateway serves. Set PUBLIC_BASE_URL or add the host name to ALLOWED_HOSTS.',
        { header: 'host' },
      );
    }
    const origin = ctx.get('Origin');
    if (origin !== '' && !originAllowed(allowed, origin)) {
      throw new GatewayError(
        'host_not_allowed',
        'Requests from this Origin are refused. Add its host name to ALLOWED_HOSTS if it is yours.',
        { header: 'origin' },
      );
    }
    await next();
  };
}

/**
 * The base URL the OpenAPI documents name as `servers[0].url`: PUBLIC_BASE_URL when set; otherwise the request's own
 * origin only when its Host is allowed, else loopback on the port the request arrived at. Never an arbitrary Host.
 */
export function baseUrlFor(ctx: Context, publicBaseUrl: string | null, allowed: readonly string[]): string {
  if (publicBaseUrl) return publicBaseUrl;
  const protocol = ctx.protocol === 'https' ? 'https' : 'http';
  const host = parseHostHeader(ctx.host);
  if (host && hostAllowed(allowed, ctx.host))
    return `${protocol}://${host.hostname}${host.port ? `:${host.port}` : ''}`;
  return `http://localhost:${ctx.req.socket.localPort ?? 80}`;
}
