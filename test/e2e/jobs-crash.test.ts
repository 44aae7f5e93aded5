/**
 * A job survives the death of its process: the gateway runs as a real child process on an on-disk PGlite, is killed
 * with SIGKILL in the middle of a bulk job, and started again. The job resumes and finishes, and the sandbox holds
 * every row exactly once: no lost write, no duplicate.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../tools/notion-sandbox/index.ts';
import { type DemoWorkspace, seedDemoWorkspace } from '../../tools/notion-sandbox/seed.ts';
import { API_TOKEN, api, TEST_ENCRYPTION_KEYS } from '../support/gateway.ts';
import { expectEachRowOnce } from '../support/rows.ts';

const root = join(import.meta.dirname, '../..');
let sandbox: Sandbox;
let demo: DemoWorkspace;
let dataDir: string;
let port: number;
let child: ChildProcess | null = null;

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port: p } = s.address() as { port: number };
      s.close(() => resolve(p));
    });
  });

async function startChild(): Promise<void> {
  child = spawn(process.execPath, ['src/main.ts'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      PATH: process.env.PATH,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      ACTION_API_TOKEN: API_TOKEN,
      TOKEN_ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS,
      NOTION_TOKEN: sandbox.token,
      NOTION_BASE_URL: sandbox.url,
      NOTION_RATE_LIMIT_PER_MINUTE: '1000000',
      NOTION_RATE_BURST: '1000',
      LOG_LEVEL: 'warn',
    },
  });
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the gateway did not start');
}

beforeAll(async () => {
  sandbox = await startSandbox();
  demo = await seedDemoWorkspace(sandbox, sandbox.token);
  dataDir = mkdtempSync(join(tmpdir(), 'ng-crash-'));
  port = await freePort();
  await startChild();
});

afterAll(async () => {
  child?.kill('SIGKILL');
  await sandbox?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('a job after SIGKILL', () => {
  it('resumes after a restart and leaves every row exactly once', { timeout: 120_000 }, async () => {
    const call = api(`http://127.0.0.1:${port}`);
    sandbox.setLatency(25);
    const ops = Array.from({ length: 40 }, (_, i) => ({
      op: 'upsert',
      args: {
        data_source_id: demo.tasks.dataSourceId,
        unique: { property: 'Name', value: `Crash ${i}` },
        properties: { Hours: i },
      },
    }));
    const pageCreates = () => sandbox.requestLog().filter((e) => e.method === 'POST' && e.path === '/v1/pages').length;
    const createsBefore = pageCreates(); // the seed's own pages: only what the job creates is counted below
    const started = (await call('POST', '/v1/jobs', { kind: 'bulk', args: { ops } })).json.result;
    let done = 0;
    for (let i = 0; i < 300 && done < 8; i++) {
      done = (await call('GET', `/v1/jobs/${started.job_id}`)).json.result.counts.done;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(done).toBeGreaterThanOrEqual(8);
    expect(done).toBeLessThan(40); // the kill lands mid-way, not after the job already finished
    child!.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
    const before = (await call('GET', `/v1/jobs/${started.job_id}`).catch(() => null)) === null;
    expect(before).toBe(true); // nobody is serving: the job is stranded mid-way

    await startChild();
    let job: any;
    for (let i = 0; i < 900; i++) {
      job = (await call('GET', `/v1/jobs/${started.job_id}?output_limit=200`)).json.result;
      if (job.status === 'succeeded' || job.status === 'failed') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(job.status).toBe('succeeded');
    expect(job.counts).toMatchObject({ done: 40, succeeded: 40, failed: 0 });
    // Resume kept the finished steps and did not run them again as fresh creations: every op created its row once
    // (the step in flight at the kill may come back replayed or as an update of the row it had made), and Notion saw
    // at most one page-creating request beyond the 40 rows.
    expect(job.output.items).toHaveLength(40);
    expect(job.output.items.map((item: any) => item.index)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    const createdActions = job.output.items.filter((item: any) => item.ok && item.result?.action === 'created');
    expect(createdActions.length).toBeGreaterThanOrEqual(39);
    expect(pageCreates() - createsBefore).toBeGreaterThanOrEqual(40);
    expect(pageCreates() - createsBefore).toBeLessThanOrEqual(41);

    sandbox.setLatency(0);
    await expectEachRowOnce(`http://127.0.0.1:${port}`, demo.tasks.dataSourceId, 'Crash', 40);
  });
});
