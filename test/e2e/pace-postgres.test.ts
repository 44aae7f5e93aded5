/**
 * Two gateways on one PostgreSQL serve the same Notion connection: they share its pace (notion_pace table, through
 * rate-limiter-flexible's RateLimiterPostgres), so together they never send more than one gateway alone may. Runs
 * under `npm run test:pg` (CI runs it); the embedded PGlite serves one process only and paces in memory.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../tools/notion-sandbox/index.ts';
import { testDatabaseUrl } from '../support/db.ts';
import { api, type RunningGateway, startGatewaysOnOneDatabase } from '../support/gateway.ts';

const serverUrl = testDatabaseUrl();

describe.runIf(serverUrl)('the Notion pace on one PostgreSQL, two gateways', () => {
  let sandbox: Sandbox;
  let gateways: RunningGateway[] = [];
  let stopGateways = async () => {};

  beforeAll(async () => {
    sandbox = await startSandbox();
    const env = {
      NOTION_TOKEN: sandbox.token,
      NOTION_BASE_URL: sandbox.url,
      // 3 requests per 30 s window, and no waiting: a request past the budget is refused at once.
      NOTION_RATE_LIMIT_PER_MINUTE: '6',
      NOTION_RATE_BURST: '3',
      NOTION_PACE_MAX_WAIT_MS: '0',
    };
    ({ gateways, close: stopGateways } = await startGatewaysOnOneDatabase(serverUrl!, 2, env));
  });

  afterAll(async () => {
    await stopGateways();
    await sandbox?.close();
  });

  const readMe = (gateway: RunningGateway) =>
    api(gateway.url)('POST', '/v1/notion/read', { method: 'GET', path: '/v1/users/me' });

  it('refuses on one gateway the request the other used up, and Notion sees only the budget', async () => {
    const [a, b] = gateways as [RunningGateway, RunningGateway];
    // Both gateways seeded the same NOTION_TOKEN: one connection, one pace.
    const listed = await api(b.url)('GET', '/v1/connections');
    expect(listed.json.result.connections).toHaveLength(1);
    sandbox.clearRequestLog();

    for (const gateway of [a, b, a]) expect((await readMe(gateway)).status).toBe(200);
    for (const gateway of [b, a]) {
      const refused = await readMe(gateway);
      expect(refused.status).toBe(429);
      expect(refused.json.error.code).toBe('rate_limited');
      expect(refused.json.error.details.retry_after_seconds).toBeGreaterThanOrEqual(1);
    }
    expect(sandbox.requestLog().filter((e) => e.path === '/v1/users/me')).toHaveLength(3);
  });
});
