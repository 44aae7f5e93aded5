/**
 * Discovery and protected-resource metadata name every endpoint under PUBLIC_BASE_URL, whatever Host (or, behind a
 * trusted proxy, X-Forwarded-Host/-Proto) the request carries: a shared cache cannot be poisoned with another origin.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OAuthWorld, startOAuthWorld } from '../support/oauth.ts';
import { rawRequest } from '../support/raw-http.ts';

const PATHS = [
  '/.well-known/oauth-authorization-server',
  '/.well-known/openid-configuration',
  '/.well-known/oauth-protected-resource',
  '/.well-known/oauth-protected-resource/mcp',
];

/** Every string value of a JSON document that looks like a URL. */
const urlsIn = (value: unknown): string[] =>
  typeof value === 'string'
    ? /^[a-z]+:\/\//i.test(value)
      ? [value]
      : []
    : Array.isArray(value)
      ? value.flatMap(urlsIn)
      : value && typeof value === 'object'
        ? Object.values(value).flatMap(urlsIn)
        : [];

describe.each([
  ['TRUST_PROXY=false', 'false'],
  ['TRUST_PROXY=true', 'true'],
])('OAuth metadata with a hostile Host (%s)', (_name, trustProxy) => {
  let world: OAuthWorld;
  beforeAll(async () => {
    world = await startOAuthWorld([{ name: 'Garden' }], { TRUST_PROXY: trustProxy });
  }, 60_000);
  afterAll(async () => world?.close());

  it.each(PATHS)('%s names only PUBLIC_BASE_URL endpoints', async (path) => {
    const res = await rawRequest(world.url, {
      path,
      headers: { host: 'evil.example', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' },
    });
    expect(res.status).toBe(200);
    const urls = urlsIn(res.json);
    expect(urls.length).toBeGreaterThan(0);
    for (const url of urls) expect(url.startsWith(`${world.url}/`) || url === world.url, url).toBe(true);
    expect(res.text).not.toContain('evil.example');
    if (path.includes('authorization-server') || path.includes('openid')) {
      expect(res.json).toMatchObject({
        issuer: world.url,
        authorization_endpoint: `${world.url}/oauth/authorize`,
        token_endpoint: `${world.url}/oauth/token`,
        registration_endpoint: `${world.url}/oauth/register`,
        jwks_uri: `${world.url}/oauth/jwks`,
      });
    }
  });

  it('registration answers a registration_client_uri under PUBLIC_BASE_URL', async () => {
    const res = await rawRequest(world.url, {
      method: 'POST',
      path: '/oauth/register',
      headers: { host: 'evil.example', 'x-forwarded-host': 'evil.example', 'content-type': 'application/json' },
      body: JSON.stringify({ redirect_uris: ['http://127.0.0.1:9/cb'], token_endpoint_auth_method: 'none' }),
    });
    expect(res.status).toBe(201);
    expect(res.text).not.toContain('evil.example');
    expect(String(res.json.registration_client_uri)).toMatch(new RegExp(`^${world.url}/oauth/register/`));
  });
});
