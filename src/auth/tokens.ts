/**
 * Resource-server side: an OAuth access token (RFC 9068 JWT, signed by this server's keys) becomes a user
 * principal carrying what its grant allows. Verified here: signature and algorithm (RS256 by a key of ours), `typ`,
 * issuer, audience (the resource the request reaches: `PUBLIC_BASE_URL/mcp` or the REST audience `PUBLIC_BASE_URL`),
 * expiry and the `notion` scope; then the grant must still exist (revocation removes it) and names the connections.
 */
import { type KeyObject, verify } from 'node:crypto';
import type { Principal } from '../shared/principal.ts';
import type { RecordStore } from './adapter.ts';
import { publicKeyOf, type SigningJwk } from './keys.ts';

/** The one scope a token needs to use the API. */
export const NOTION_SCOPE = 'notion';
/** Clock skew tolerated on `exp`/`nbf`/`iat`. */
const SKEW_SECONDS = 30;

/** What consent decided for a grant (kept beside oidc-provider's Grant, removed with it). */
export interface GrantConnections {
  accountId: string;
  connections: string[];
}

export type TokenCheck =
  | { ok: true; principal: Principal }
  | { ok: false; error: 'invalid_token' | 'insufficient_scope'; description: string };

const fail = (description: string, error: 'invalid_token' | 'insufficient_scope' = 'invalid_token'): TokenCheck => ({
  ok: false,
  error,
  description,
});

const segment = (part: string): Record<string, unknown> | null => {
  try {
    const value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return value && typeof value === 'object' && !Array.isArray(value) ? value : null;
  } catch {
    return null;
  }
};

export interface TokenVerifierOptions {
  issuer: string;
  signingKeys: SigningJwk[];
  grants: RecordStore;
  now?: () => number;
}

export function createTokenVerifier(options: TokenVerifierOptions) {
  const keys = new Map<string, KeyObject>(options.signingKeys.map((k) => [k.kid, publicKeyOf(k)]));
  const nowSeconds = () => Math.floor((options.now?.() ?? Date.now()) / 1000);

  /** Cheap shape test: only a JWT is worth verifying as an OAuth token (the operator token is not one). */
  const looksLikeJwt = (token: string) => /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);

  async function check(token: string, audience: string): Promise<TokenCheck> {
    if (!looksLikeJwt(token)) return fail('The access token is not a token of this server.');
    const [h, p, s] = token.split('.') as [string, string, string];
    const header = segment(h);
    const payload = segment(p);
    if (!header || !payload) return fail('The access token is malformed.');
    if (header.alg !== 'RS256' || header.typ !== 'at+jwt') return fail('The access token is not an RS256 at+jwt.');
    const key = typeof header.kid === 'string' ? keys.get(header.kid) : undefined;
    if (!key) return fail('The access token was signed by an unknown key.');
    if (!verify('sha256', Buffer.from(`${h}.${p}`), key, Buffer.from(s, 'base64url'))) {
      return fail('The access token signature is invalid.');
    }
    if (payload.iss !== options.issuer) return fail('The access token was issued by another server.');
    const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    if (!aud.includes(audience)) return fail(`The access token is not meant for ${audience}.`);
    const now = nowSeconds();
    if (typeof payload.exp !== 'number' || payload.exp + SKEW_SECONDS <= now) return fail('The access token expired.');
    if (typeof payload.nbf === 'number' && payload.nbf - SKEW_SECONDS > now)
      return fail('The access token is not valid yet.');
    const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : [];
    if (!scopes.includes(NOTION_SCOPE)) {
      return fail(`The access token lacks the ${NOTION_SCOPE} scope.`, 'insufficient_scope');
    }
    const grantId = typeof payload.gid === 'string' ? payload.gid : null;
    const sub = typeof payload.sub === 'string' ? payload.sub : null;
    if (!grantId || !sub) return fail('The access token names no grant.');
    const grant = await options.grants.get<GrantConnections>(grantId);
    if (!grant || grant.accountId !== sub) return fail('The grant of this access token was revoked.');
    return {
      ok: true,
      principal: {
        id: sub,
        kind: 'user',
        connections: Object.freeze([...grant.connections]),
        grantId,
        clientId: typeof payload.client_id === 'string' ? payload.client_id : undefined,
        scopes: Object.freeze(scopes),
      },
    };
  }

  return { check, looksLikeJwt };
}

export type TokenVerifier = ReturnType<typeof createTokenVerifier>;
