/**
 * Resource-server side: an OAuth access token (RFC 9068 JWT, signed by this server's keys) becomes a user
 * principal carrying what its grant allows. Verified here (with `jose`): signature and algorithm (RS256 by a key of
 * ours, named by `kid`), `typ`, issuer, audience (the resource the request reaches: `PUBLIC_BASE_URL/mcp` or the REST
 * audience `PUBLIC_BASE_URL`), expiry and the `notion` scope; then the grant must still exist (revocation removes it)
 * and names the connections.
 */
import { createLocalJWKSet, errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
import type { Principal } from '../shared/principal.ts';
import type { RecordStore } from './adapter.ts';
import { publicKeyOf, type SigningJwk } from './keys.ts';

/** The one scope a token needs to use the API. */
export const NOTION_SCOPE = 'notion';
/** Clock skew tolerated on `exp`/`nbf`. */
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

/** The refusal for what `jose` rejected: one description per failed check; anything not from jose is a bug, rethrown. */
function refusalOf(error: unknown, audience: string): TokenCheck {
  if (error instanceof errors.JOSEAlgNotAllowed) return fail('The access token is not an RS256 at+jwt.');
  if (error instanceof errors.JWKSNoMatchingKey) return fail('The access token was signed by an unknown key.');
  if (error instanceof errors.JWSSignatureVerificationFailed) return fail('The access token signature is invalid.');
  if (error instanceof errors.JWTExpired || error instanceof errors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case 'typ':
        return fail('The access token is not an RS256 at+jwt.');
      case 'iss':
        return fail('The access token was issued by another server.');
      case 'aud':
        return fail(`The access token is not meant for ${audience}.`);
      case 'exp':
        return fail('The access token expired.');
      case 'nbf':
        return fail('The access token is not valid yet.');
    }
  }
  if (error instanceof errors.JOSEError) return fail('The access token is malformed.');
  throw error;
}

export interface TokenVerifierOptions {
  issuer: string;
  signingKeys: SigningJwk[];
  grants: RecordStore;
  now?: () => number;
}

export function createTokenVerifier(options: TokenVerifierOptions) {
  // The public halves; a token must name its key by `kid` (even while there is only one key).
  const jwks = createLocalJWKSet({
    keys: options.signingKeys.map((k) => ({
      ...publicKeyOf(k).export({ format: 'jwk' }),
      kid: k.kid,
      alg: 'RS256',
      use: 'sig',
    })),
  });
  const keyOf: JWTVerifyGetKey = (header, token) => {
    if (typeof header.kid !== 'string') throw new errors.JWKSNoMatchingKey();
    return jwks(header, token);
  };

  /** Cheap shape test: only a JWT is worth verifying as an OAuth token (the operator token is not one). */
  const looksLikeJwt = (token: string) => /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);

  async function check(token: string, audience: string): Promise<TokenCheck> {
    if (!looksLikeJwt(token)) return fail('The access token is not a token of this server.');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keyOf, {
        issuer: options.issuer,
        audience,
        typ: 'at+jwt',
        algorithms: ['RS256'],
        requiredClaims: ['exp'],
        clockTolerance: SKEW_SECONDS,
        currentDate: options.now ? new Date(options.now()) : undefined,
      }));
    } catch (error) {
      return refusalOf(error, audience);
    }
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
