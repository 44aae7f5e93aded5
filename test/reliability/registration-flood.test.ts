/**
 * A registration flood against `POST /oauth/register`: 1,000 registrations from one address, 50 at a time. Before the
 * limits, every one was stored (1,147 in 10 s on PostgreSQL, none expiring). Now an address gets
 * REGISTRATIONS_PER_MINUTE, the rest answer 429 with Retry-After, nothing answers 5xx, and every stored client
 * carries an expiry (unused clients are purged).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { REGISTRATIONS_PER_MINUTE } from '../../src/auth/registration.ts';
import { type OAuthWorld, startOAuthWorld } from '../support/oauth.ts';

let world: OAuthWorld;
beforeAll(async () => {
  world = await startOAuthWorld([{ name: 'Garden' }]);
});
afterAll(async () => world?.close());

it('1,000 registrations from one address store at most the per-minute allowance, each expiring', async () => {
  const statuses = new Map<number, number>();
  const total = 1000;
  for (let start = 0; start < total; start += 50) {
    const batch = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        fetch(`${world.url}/oauth/register`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            client_name: `flood ${start + i}`,
            redirect_uris: ['https://app.example/cb'],
            token_endpoint_auth_method: 'none',
          }),
        }).then(async (res) => {
          await res.body?.cancel();
          return res.status;
        }),
      ),
    );
    for (const status of batch) statuses.set(status, (statuses.get(status) ?? 0) + 1);
  }
  console.log('registration flood statuses', Object.fromEntries(statuses));
  expect(statuses.get(201)).toBe(REGISTRATIONS_PER_MINUTE);
  expect(statuses.get(429)).toBe(total - REGISTRATIONS_PER_MINUTE);
  const stored = await world.gateway.gateway.authServer!.registeredClients();
  expect(stored).toEqual({ total: REGISTRATIONS_PER_MINUTE, withoutExpiry: 0 });
});
