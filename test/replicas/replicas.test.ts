/**
 * `npm run test:replicas`: three gateway processes (`node src/main.ts`, as `npm start` runs it) on one PostgreSQL,
 * behind a real round-robin balancer (Debian's haproxy, installed by .ci/run), driven only through the balancer:
 * MCP over Streamable HTTP and legacy SSE (whose POSTs land on other replicas than the stream), an OAuth sign-in
 * whose every step (registration, authorize, operator sign-in, consent, token, MCP call) may land on another replica,
 * 50 same-key writes →
 * one Notion write, a bulk job whose replica is SIGKILLed mid-job → every row exactly once, and a rolling restart of
 * all three under load with no failed request.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../tools/notion-sandbox/index.ts';
import { type DemoWorkspace, seedDemoWorkspace } from '../../tools/notion-sandbox/seed.ts';
import { createTestDatabase, testDatabaseUrl } from '../support/db.ts';
import { API_TOKEN, api, TEST_ENCRYPTION_KEYS } from '../support/gateway.ts';
import { connectMcp } from '../support/mcp.ts';
import {
  authorizationRequest,
  CookieBrowser,
  consentChoices,
  OPERATOR_PASSWORD,
  workspacesReachedWith,
} from '../support/oauth.ts';
import { expectEachRowOnce } from '../support/rows.ts';

const root = join(import.meta.dirname, '../..');
const serverUrl = testDatabaseUrl();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

interface Replica {
  port: number;
  child: ChildProcess | null;
}

describe.runIf(serverUrl)('three replicas behind haproxy', () => {
  let sandbox: Sandbox;
  let demo: DemoWorkspace;
  let database: { databaseUrl: string; drop(): Promise<void> };
  let balancer: ChildProcess;
  let balancerUrl: string;
  let dir: string;
  const replicas: Replica[] = [];

  const env = (port: number) => ({
    PATH: process.env.PATH,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: database.databaseUrl,
    DATA_DIR: dir,
    ACTION_API_TOKEN: API_TOKEN,
    TOKEN_ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS,
    NOTION_TOKEN: sandbox.token,
    NOTION_BASE_URL: sandbox.url,
    NOTION_RATE_LIMIT_PER_MINUTE: '1000000',
    NOTION_RATE_BURST: '1000',
    SHUTDOWN_GRACE_MS: '10000',
    LOG_LEVEL: 'warn',
    // OAuth 2.1 for Developer Mode with the operator's sign-in (no Notion public integration), issued by the balancer.
    OAUTH: 'on',
    PUBLIC_BASE_URL: balancerUrl,
    OPERATOR_PASSWORD,
  });

  const healthy = async (port: number) => {
    for (let i = 0; i < 300; i++) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) return;
      } catch {}
      await sleep(100);
    }
    throw new Error(`replica on ${port} did not start`);
  };

  const start = async (replica: Replica) => {
    replica.child = spawn(process.execPath, ['src/main.ts'], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: env(replica.port),
    });
    await healthy(replica.port);
  };

  const exited = (child: ChildProcess) =>
    child.exitCode !== null || child.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((resolve) => child.once('exit', () => resolve()));

  /** Waits until haproxy has all three replicas up again (its own health checks). */
  const balancedAgain = async () => {
    for (let i = 0; i < 100; i++) {
      const seen = new Set<number>();
      for (let j = 0; j < 6; j++) {
        const res = await fetch(`${balancerUrl}/health`).catch(() => null);
        const served = res?.headers.get('x-served-by');
        if (res?.ok && served) seen.add(Number(served));
      }
      if (seen.size === replicas.length) return;
      await sleep(200);
    }
    throw new Error('haproxy did not bring every replica back');
  };

  beforeAll(async () => {
    sandbox = await startSandbox();
    demo = await seedDemoWorkspace(sandbox, sandbox.token);
    database = await createTestDatabase(serverUrl!);
    dir = mkdtempSync(join(tmpdir(), 'ng-replicas-'));
    const balancerPort = await freePort();
    balancerUrl = `http://127.0.0.1:${balancerPort}`;
    for (let i = 0; i < 3; i++) replicas.push({ port: await freePort(), child: null });
    // One after the other: the first runs the migrations, the others find them applied.
    for (const replica of replicas) await start(replica);

    const config = join(dir, 'haproxy.cfg');
    writeFileSync(
      config,
      `${[
        'defaults',
        '  mode http',
        '  timeout connect 2s',
        '  timeout client 60s',
        '  timeout server 60s',
        '  timeout tunnel 1h',
        '  retries 3',
        '  option redispatch',
        '  retry-on conn-failure empty-response',
        `frontend gateway`,
        `  bind 127.0.0.1:${balancerPort}`,
        '  default_backend replicas',
        'backend replicas',
        '  balance roundrobin',
        '  option httpchk GET /health',
        '  http-check expect status 200',
        '  default-server inter 300ms fall 1 rise 2',
        // Which replica answered (tests only): its index.
        '  http-response set-header x-served-by %[srv_id]',
        ...replicas.map((r, i) => `  server r${i + 1} 127.0.0.1:${r.port} id ${i + 1} check`),
      ].join('\n')}\n`,
    );
    const valid = spawnSync('haproxy', ['-c', '-q', '-f', config], { encoding: 'utf8' });
    expect(valid.status, valid.stderr).toBe(0);
    balancer = spawn('haproxy', ['-db', '-f', config], { stdio: ['ignore', 'ignore', 'inherit'] });
    await balancedAgain();
  }, 120_000);

  afterAll(async () => {
    balancer?.kill('SIGKILL');
    for (const replica of replicas) replica.child?.kill('SIGKILL');
    await Promise.all(replicas.map((r) => (r.child ? exited(r.child) : undefined)));
    await database?.drop();
    await sandbox?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('spreads requests over the three replicas', async () => {
    const served = new Set<string>();
    for (let i = 0; i < 9; i++) {
      const res = await fetch(`${balancerUrl}/v1/connections`, { headers: { authorization: `Bearer ${API_TOKEN}` } });
      expect(res.status).toBe(200);
      served.add(res.headers.get('x-served-by')!);
    }
    expect(served.size).toBe(3);
  });

  it('signs in over OAuth through the balancer, each step on whichever replica it lands', async () => {
    const redirectUri = 'http://127.0.0.1:9/callback';
    const { client_id, verifier, authorize } = await authorizationRequest(balancerUrl, 'Replicas test', redirectUri);
    const browser = new CookieBrowser();
    const served = new Set<string>();
    const note = (res: Response) => served.add(res.headers.get('x-served-by') ?? '?');
    const { url: pageUrl, res } = await browser.follow(authorize, (u) => u.href.startsWith(redirectUri));
    expect(res.status).toBe(200);
    note(res);
    const signedIn = await browser.post(new URL(`${pageUrl.pathname}/operator`, balancerUrl), [
      ['secret', OPERATOR_PASSWORD],
    ]);
    expect(signedIn.status).toBe(303);
    note(signedIn);
    const consent = await browser.follow(new URL(signedIn.headers.get('location')!, balancerUrl));
    note(consent.res);
    const offered = consentChoices(await consent.res.text());
    expect(offered).toHaveLength(1);
    const confirmed = await browser.post(new URL(`${pageUrl.pathname}/confirm`, balancerUrl), [
      ['decision', 'allow'],
      ['connection_id', offered[0]!.id],
    ]);
    expect(confirmed.status).toBe(303);
    note(confirmed);
    const back = await browser.follow(new URL(confirmed.headers.get('location')!, balancerUrl), (u) =>
      u.href.startsWith(redirectUri),
    );
    const code = back.url.searchParams.get('code');
    expect(code).toBeTruthy();
    expect(await workspacesReachedWith(balancerUrl, { code: code!, client_id, verifier, redirectUri })).toHaveLength(1);
    // Round-robin: the steps were spread over more than one replica, and the sign-in held across them.
    expect(served.size).toBeGreaterThan(1);
  });

  it('serves MCP over Streamable HTTP and legacy SSE through the balancer', async () => {
    for (const kind of ['streamable-http', 'sse'] as const) {
      const client = await connectMcp(balancerUrl, kind, API_TOKEN);
      try {
        // Several calls: on SSE, round-robin sends most POSTs to a replica that does not hold the stream.
        for (let i = 0; i < 4; i++) {
          const listed = await client.callTool({ name: 'connections_list', arguments: {} });
          expect(listed.isError, kind).toBeFalsy();
          expect((listed.structuredContent as { connections: unknown[] }).connections).toHaveLength(1);
        }
      } finally {
        await client.close();
      }
    }
  });

  it('50 concurrent writes with one key make exactly one Notion write across the replicas', async () => {
    const key = `replicas-${Date.now()}`;
    const creates = () => sandbox.requestLog().filter((e) => e.method === 'POST' && e.path === '/v1/pages').length;
    const before = creates();
    const body = {
      method: 'POST',
      path: '/v1/pages',
      body: {
        parent: { type: 'workspace', workspace: true },
        properties: { title: { title: [{ text: { content: 'Once across replicas' } }] } },
      },
      idempotency_key: key,
    };
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => api(balancerUrl)('POST', '/v1/notion/request', body)),
    );
    expect(creates() - before).toBe(1);
    const ids = new Set(answers.filter((a) => a.json.ok).map((a) => a.json.result.response.id));
    expect(ids.size).toBe(1);
    for (const answer of answers) if (!answer.json.ok) expect(answer.json.error.code).toBe('idempotency_key_in_flight');
  });

  it('finishes a bulk job whose replica was SIGKILLed mid-job, every row exactly once', {
    timeout: 180_000,
  }, async () => {
    const [runner, ...others] = replicas as [Replica, Replica, Replica];
    const ops = Array.from({ length: 30 }, (_, i) => ({
      op: 'upsert',
      args: {
        data_source_id: demo.tasks.dataSourceId,
        unique: { property: 'Name', value: `Replica ${i}` },
        properties: { Hours: i },
      },
    }));
    // The other two are paused while the job is claimed, so the replica it is sent to is the one that runs it.
    for (const r of others) r.child!.kill('SIGSTOP');
    sandbox.setLatency(40);
    let jobId: string;
    try {
      const direct = api(`http://127.0.0.1:${runner.port}`);
      jobId = (await direct('POST', '/v1/jobs', { kind: 'bulk', args: { ops } })).json.result.job_id;
      let done = 0;
      for (let i = 0; i < 400 && done < 5; i++) {
        done = (await direct('GET', `/v1/jobs/${jobId}`)).json.result.counts.done;
        await sleep(50);
      }
      expect(done).toBeGreaterThanOrEqual(5);
      expect(done).toBeLessThan(30);
      runner.child!.kill('SIGKILL');
      await exited(runner.child!);
    } finally {
      for (const r of others) r.child!.kill('SIGCONT');
    }
    sandbox.setLatency(0);

    // The survivors take the job over once its heartbeat stops; the balancer routes around the dead replica (and
    // brings the two paused ones back after their health checks pass again).
    const call = api(balancerUrl);
    let job: any;
    for (let i = 0; i < 1200; i++) {
      const res = await call('GET', `/v1/jobs/${jobId}?output_limit=100`);
      if (res.status === 200) {
        job = res.json.result;
        if (job.status === 'succeeded' || job.status === 'failed') break;
      } else {
        // Only while haproxy has no replica up yet (its health checks saw the two paused ones down).
        expect(res.status).toBe(503);
      }
      await sleep(100);
    }
    expect(job.status).toBe('succeeded');
    expect(job.counts).toMatchObject({ done: 30, succeeded: 30, failed: 0 });
    await expectEachRowOnce(balancerUrl, demo.tasks.dataSourceId, 'Replica', 30);

    await start(runner);
    await balancedAgain();
  });

  it('restarts every replica in turn (SIGTERM, drain, start) under load without a failed request', {
    timeout: 180_000,
  }, async () => {
    const failures: string[] = [];
    let answered = 0;
    let running = true;
    const load = async () => {
      while (running) {
        const res = await fetch(`${balancerUrl}/v1/connections`, {
          headers: { authorization: `Bearer ${API_TOKEN}` },
        }).catch((error: Error) => error);
        if (res instanceof Error) failures.push(res.message);
        else if (res.status !== 200) failures.push(`HTTP ${res.status}: ${await res.text()}`);
        else {
          await res.arrayBuffer();
          answered++;
        }
      }
    };
    const clients = Array.from({ length: 4 }, load);
    for (const replica of replicas) {
      const child = replica.child!;
      child.kill('SIGTERM');
      await exited(child);
      expect(child.exitCode).toBe(0);
      await start(replica);
      await balancedAgain();
    }
    running = false;
    await Promise.all(clients);
    expect(failures).toEqual([]);
    expect(answered).toBeGreaterThan(50);
  });
});
