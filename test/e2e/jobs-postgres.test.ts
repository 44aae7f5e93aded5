/**
 * Two gateways on one PostgreSQL (each with its own pg-boss client and pool, as two processes would be) share the job queue (pg-boss claims with SKIP LOCKED): every job runs to the
 * end and every step runs exactly once. Runs under `npm run test:pg` (CI runs it); the embedded PGlite serves one
 * process only, so the default run has nothing to share and skips it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../tools/notion-sandbox/index.ts';
import { type DemoWorkspace, seedDemoWorkspace } from '../../tools/notion-sandbox/seed.ts';
import { testDatabaseUrl } from '../support/db.ts';
import { api, type RunningGateway, startGatewaysOnOneDatabase } from '../support/gateway.ts';

const serverUrl = testDatabaseUrl();

describe.runIf(serverUrl)('jobs on one PostgreSQL, two gateways (each its own queue client and pool)', () => {
  let sandbox: Sandbox;
  let demo: DemoWorkspace;
  let gateways: RunningGateway[] = [];
  let stopGateways = async () => {};

  beforeAll(async () => {
    sandbox = await startSandbox();
    demo = await seedDemoWorkspace(sandbox, sandbox.token);
    const env = { NOTION_TOKEN: sandbox.token, NOTION_BASE_URL: sandbox.url };
    ({ gateways, close: stopGateways } = await startGatewaysOnOneDatabase(serverUrl!, 2, env));
  });

  afterAll(async () => {
    await stopGateways();
    await sandbox?.close();
  });

  it('runs every job to the end and every step exactly once', { timeout: 120_000 }, async () => {
    sandbox.setLatency(10);
    sandbox.clearRequestLog(); // the seed's own pages
    const call = api(gateways[0]!.url);
    const jobIds: string[] = [];
    for (let j = 0; j < 6; j++) {
      const ops = Array.from({ length: 10 }, (_, i) => ({
        op: 'upsert',
        args: { data_source_id: demo.tasks.dataSourceId, unique: { property: 'Name', value: `Shared ${j}-${i}` } },
      }));
      jobIds.push((await call('POST', '/v1/jobs', { kind: 'bulk', args: { ops } })).json.result.job_id);
    }
    for (const id of jobIds) {
      for (let i = 0; i < 600; i++) {
        const job = (await api(gateways[1]!.url)('GET', `/v1/jobs/${id}`)).json.result;
        if (job.status === 'succeeded') break;
        expect(job.status).not.toBe('failed');
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const audit = (await call('GET', '/v1/audit?operation=notion_upsert&limit=200')).json.result.entries;
    for (const id of jobIds) expect(audit.filter((e: any) => e.job_id === id)).toHaveLength(10);
    const creates = sandbox.requestLog().filter((e) => e.method === 'POST' && e.path === '/v1/pages');
    expect(creates).toHaveLength(60);
  });
});
