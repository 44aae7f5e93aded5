/**
 * Access-token verification (src/auth/tokens.ts), one refusal at a time: every check can fail on its own. Tokens are
 * signed here with the server's key format, so each claim can be bent independently of oidc-provider.
 */
import { createPrivateKey, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { RecordStore } from '../../src/auth/adapter.ts';
import { newSigningKey } from '../../src/auth/keys.ts';
import { createTokenVerifier } from '../../src/auth/tokens.ts';

const ISSUER = 'https://gw.example';
const AUD = `${ISSUER}/mcp`;
const key = newSigningKey();
const other = newSigningKey();
const NOW = 1_800_000_000;

const grants = new Map<string, unknown>([['g1', { accountId: 'user:ada', connections: ['c1'] }]]);
const records: RecordStore = {
  get: async <T>(id: string) => grants.get(id) as T | undefined,
  set: async () => {},
  remove: async () => {},
};
const verifier = createTokenVerifier({ issuer: ISSUER, signingKeys: [key], grants: records, now: () => NOW * 1000 });

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
function token(claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}, signer = key) {
  const h = b64({ alg: 'RS256', typ: 'at+jwt', kid: signer.kid, ...header });
  const p = b64({
    iss: ISSUER,
    aud: AUD,
    sub: 'user:ada',
    client_id: 'client-1',
    scope: 'notion',
    gid: 'g1',
    iat: NOW - 10,
    exp: NOW + 3600,
    ...claims,
  });
  const s = sign('sha256', Buffer.from(`${h}.${p}`), createPrivateKey({ key: signer, format: 'jwk' }));
  return `${h}.${p}.${s.toString('base64url')}`;
}

describe('access-token verification', () => {
  it('accepts a valid token and carries its grant into the principal', async () => {
    const checked = await verifier.check(token(), AUD);
    expect(checked).toEqual({
      ok: true,
      principal: {
        id: 'user:ada',
        kind: 'user',
        connections: ['c1'],
        grantId: 'g1',
        clientId: 'client-1',
        scopes: ['notion'],
      },
    });
  });

  it.each([
    ['another issuer', token({ iss: 'https://evil.example' }), /another server/],
    ['another audience', token({ aud: ISSUER }), /not meant for/],
    ['expired', token({ exp: NOW - 60 }), /expired/],
    ['not yet valid', token({ nbf: NOW + 600 }), /not valid yet/],
    ['an unknown key', token({}, {}, other), /unknown key/],
    ['another key id claimed', token({}, { kid: other.kid }), /unknown key|signature/],
    ['another algorithm', token({}, { alg: 'HS256' }), /RS256/],
    ['an id token (typ)', token({}, { typ: 'JWT' }), /at\+jwt/],
    ['a revoked grant', token({ gid: 'gone' }), /revoked/],
    ["another account's grant", token({ sub: 'user:bob' }), /revoked/],
    ['no grant', token({ gid: undefined }), /no grant/],
  ])('refuses %s', async (_name, jwt, message) => {
    const checked = await verifier.check(jwt, AUD);
    expect(checked.ok).toBe(false);
    if (!checked.ok) {
      expect(checked.error).toBe('invalid_token');
      expect(checked.description).toMatch(message);
    }
  });

  it('refuses a tampered payload (signature) and a missing scope (insufficient_scope)', async () => {
    const [h, , s] = token().split('.');
    const tampered = `${h}.${b64({ iss: ISSUER, aud: AUD, sub: 'user:ada', gid: 'g1', scope: 'notion', exp: NOW + 60 })}.${s}`;
    expect(await verifier.check(tampered, AUD)).toMatchObject({
      ok: false,
      description: expect.stringMatching(/signature/),
    });
    expect(await verifier.check(token({ scope: 'openid' }), AUD)).toMatchObject({
      ok: false,
      error: 'insufficient_scope',
    });
    expect(verifier.looksLikeJwt('test-action-token-0123456789')).toBe(false);
  });
});
