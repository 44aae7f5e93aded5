/**
 * Dynamic Client Registration's limits: https or loopback-http redirect URIs only (OAuth 2.1), at most 10 of them,
 * metadata of at most 8 KiB, 10 registrations a minute per address; refusals in RFC 7591's error shape.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_REDIRECT_URIS, MAX_REGISTRATION_BYTES, REGISTRATIONS_PER_MINUTE } from '../../src/auth/registration.ts';
import { type OAuthWorld, startOAuthWorld } from '../support/oauth.ts';

const register = (world: OAuthWorld, metadata: unknown) =>
  fetch(`${world.url}/oauth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof metadata === 'string' ? metadata : JSON.stringify(metadata),
  });

describe('POST /oauth/register limits', () => {
  let world: OAuthWorld;
  beforeAll(async () => {
    world = await startOAuthWorld([{ name: 'Garden' }]);
  }, 60_000);
  afterAll(async () => world?.close());

  it('accepts https and loopback http redirect URIs; refuses plain http elsewhere, too many URIs, big metadata', async () => {
    const ok = await register(world, {
      client_name: 'Local app',
      redirect_uris: [
        'https://app.example/cb',
        'http://127.0.0.1:5173/cb',
        'http://[::1]:8080/cb',
        'http://localhost/cb',
      ],
      token_endpoint_auth_method: 'none',
    });
    expect(ok.status).toBe(201);
    expect(((await ok.json()) as { redirect_uris: string[] }).redirect_uris).toHaveLength(4);

    const plain = await register(world, {
      redirect_uris: ['http://evil.example/cb'],
      token_endpoint_auth_method: 'none',
    });
    expect(plain.status).toBe(400);
    const plainBody = (await plain.json()) as { error: string; error_description: string };
    expect(plainBody.error).toBe('invalid_redirect_uri');
    expect(plainBody.error_description).toContain('http://evil.example/cb');
    expect(plainBody.error_description).toContain('loopback');

    const many = await register(world, {
      redirect_uris: Array.from({ length: MAX_REDIRECT_URIS + 1 }, (_, i) => `https://app.example/cb/${i}`),
      token_endpoint_auth_method: 'none',
    });
    expect(many.status).toBe(400);
    expect(await many.json()).toMatchObject({ error: 'invalid_redirect_uri' });
    expect(MAX_REDIRECT_URIS).toBe(10);

    const big = await register(world, {
      client_name: 'x'.repeat(MAX_REGISTRATION_BYTES),
      redirect_uris: ['https://app.example/cb'],
      token_endpoint_auth_method: 'none',
    });
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ error: 'invalid_client_metadata' });

    const fragment = await register(world, { redirect_uris: ['https://app.example/cb#x'] });
    expect(fragment.status).toBe(400);
    const notUrl = await register(world, { redirect_uris: ['javascript:alert(1)'] });
    expect(notUrl.status).toBe(400);
    expect(await notUrl.json()).toMatchObject({ error: 'invalid_redirect_uri' });
  });

  it(`throttles an address after ${REGISTRATIONS_PER_MINUTE} registrations a minute`, async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < REGISTRATIONS_PER_MINUTE + 2; i++) {
      const res = await register(world, {
        redirect_uris: ['https://app.example/cb'],
        token_endpoint_auth_method: 'none',
      });
      statuses.push(res.status);
      if (res.status === 429) {
        retryAfter = res.headers.get('retry-after');
        expect(await res.json()).toMatchObject({ error: 'rate_limited' });
      } else await res.body?.cancel();
    }
    // The first test used 6 of this minute's registrations (refusals count too).
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(2);
    expect(statuses.at(-1)).toBe(429);
    expect(Number(retryAfter)).toBeGreaterThan(0);
  });
});
