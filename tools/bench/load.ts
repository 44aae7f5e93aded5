/**
 * `npm run bench:load [-- --seconds 60 --clients 200]`: many concurrent MCP clients, half on Streamable HTTP (`/mcp`)
 * and half on legacy SSE (`/sse` + `/messages`), each calling `notion_read GET /v1/users/me` in a closed loop (next
 * call when the previous answered) against the Notion sandbox without a rate limit. Run twice on a fresh PostgreSQL
 * database each: one replica, then three, both behind the same haproxy (round-robin, no affinity, so most SSE
 * messages land on a replica that does not hold the stream and go through the LISTEN/NOTIFY relay).
 * Prints throughput, p50/p99, errors, resident memory per replica (peak), PostgreSQL connections of the database
 * (peak of pg_stat_activity) and the ratios three ÷ one. Every process is a child (sandbox, replicas, haproxy), so the
 * load generator's own CPU is measured apart (a row of the table): it speaks raw HTTP through undici (one keep-alive
 * pool, SSE streams parsed by hand) rather than 200 SDK Clients, so that on 2 cores it stays a small share.
 *
 * Env or flags: LOAD_SECONDS / --seconds (60), LOAD_CLIENTS / --clients (200), BENCH_DATABASE_URL or
 * TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test; the role needs CREATEDB), --json.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { Agent, request } from 'undici';
import {
  cpuMs,
  freePort,
  makeTempDir,
  percentile,
  removeTempDir,
  root,
  rssMiB,
  sleep,
  spawnNode,
  startGateway,
  stopChild,
  waitUntil,
} from './lib.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: process.env.LOAD_SECONDS ?? '60' },
    clients: { type: 'string', default: process.env.LOAD_CLIENTS ?? '200' },
    tool: { type: 'string', default: process.env.LOAD_TOOL ?? 'notion_read' },
    json: { type: 'boolean', default: false },
  },
});
const SECONDS = Number(values.seconds);
const CLIENTS = Number(values.clients);
if (!(SECONDS > 0) || !(CLIENTS >= 2)) throw new Error('--seconds must be > 0 and --clients ≥ 2');
const SERVER_URL =
  process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const TOKEN = 'bench-load-token-0123456789';
const NOTION_TOKEN = 'secret_bench_load';
const KEYS = `bench:${Buffer.alloc(32, 5).toString('base64')}`;
const CALL = {
  jsonrpc: '2.0',
  method: 'tools/call',
  params:
    values.tool === 'connections_list'
      ? { name: 'connections_list', arguments: {} }
      : { name: 'notion_read', arguments: { method: 'GET', path: '/v1/users/me' } },
};
const auth = { authorization: `Bearer ${TOKEN}` };
const dispatcher = new Agent({ keepAliveTimeout: 30_000, connections: CLIENTS * 2, pipelining: 1 });

const withDatabase = (url: string, db: string) => {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
};

async function admin(sql: string) {
  const client = new pg.Client({ connectionString: SERVER_URL });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

/** One closed-loop client's result: latencies of calls answered within the window, and what went wrong. */
interface Tally {
  latencies: number[];
  errors: Map<string, number>;
}
const fail = (tally: Tally, what: string) => tally.errors.set(what, (tally.errors.get(what) ?? 0) + 1);

type RpcAnswer = { id?: number; error?: unknown; result?: { isError?: boolean } };

/** A tools/call answer is an error when the JSON-RPC call failed or the tool said isError. */
function checkAnswer(message: RpcAnswer): string | null {
  if (message.error) return `rpc error ${JSON.stringify(message.error).slice(0, 120)}`;
  if (message.result?.isError) return 'tool isError';
  return null;
}

/** Streamable HTTP (the gateway is stateless): initialize once, then POST one tools/call after the other. */
async function streamableClient(
  base: string,
  window: { open: boolean; stop: boolean },
  tally: Tally,
  ready: () => void,
) {
  const post = async (body: unknown) => {
    const res = await request(`${base}/mcp`, {
      method: 'POST',
      dispatcher,
      headers: { ...auth, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify(body),
    });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}`);
    const json = text.startsWith('{') ? text : text.slice(text.indexOf('data:') + 5);
    return JSON.parse(json);
  };
  await post({
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench-load', version: '1' } },
  });
  ready();
  let id = 1;
  while (!window.stop) {
    const started = performance.now();
    const counted = window.open;
    try {
      const problem = checkAnswer(await post({ ...CALL, id: id++ }));
      if (counted && window.open) {
        if (problem) fail(tally, `mcp: ${problem}`);
        else tally.latencies.push(performance.now() - started);
      }
    } catch (error) {
      if (counted) fail(tally, `mcp: ${(error as Error).message}`);
    }
  }
}

/**
 * Legacy SSE: one GET /sse stream (its first event names the message endpoint), then POST /messages one after the
 * other, each answer read back from the stream by its JSON-RPC id.
 */
async function sseClient(base: string, window: { open: boolean; stop: boolean }, tally: Tally, ready: () => void) {
  const pending = new Map<number, (message: RpcAnswer) => void>();
  const stream = await request(`${base}/sse`, {
    method: 'GET',
    dispatcher,
    headers: { ...auth, accept: 'text/event-stream' },
  });
  if (stream.statusCode !== 200) throw new Error(`GET /sse answered ${stream.statusCode}`);
  let endpoint: (value: string) => void;
  const endpointKnown = new Promise<string>((resolve) => {
    endpoint = resolve;
  });
  let buffer = '';
  const reading = (async () => {
    for await (const chunk of stream.body) {
      buffer += chunk.toString();
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const name = /^event: (.*)$/m.exec(event)?.[1];
        const data = event
          .split('\n')
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).trimStart())
          .join('\n');
        if (name === 'endpoint') endpoint!(data);
        else if (name === 'message' || (name === undefined && data)) {
          const message = JSON.parse(data) as RpcAnswer;
          if (message.id === undefined) continue;
          pending.get(message.id)?.(message);
          pending.delete(message.id);
        }
      }
    }
  })().catch(() => {});
  const path = await endpointKnown;
  const messages = new URL(path, base).toString();
  const call = async (body: { id: number }) => {
    const answered = new Promise<RpcAnswer>((resolve) => pending.set(body.id, resolve));
    const res = await request(messages, {
      method: 'POST',
      dispatcher,
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    await res.body.dump();
    if (res.statusCode !== 202) {
      pending.delete(body.id);
      throw new Error(`POST /messages answered ${res.statusCode}`);
    }
    return answered;
  };
  await call({
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: { protocolVersion: '2024-11-05', capabilities: {}, clientInfo: { name: 'bench-load', version: '1' } },
  } as { id: number });
  ready();
  let id = 1;
  while (!window.stop) {
    const started = performance.now();
    const counted = window.open;
    try {
      const problem = checkAnswer(await call({ ...CALL, id: id++ }));
      if (counted && window.open) {
        if (problem) fail(tally, `sse: ${problem}`);
        else tally.latencies.push(performance.now() - started);
      }
    } catch (error) {
      if (counted) fail(tally, `sse: ${(error as Error).message}`);
    }
  }
  stream.body.destroy();
  await reading;
}

interface RunResult {
  replicas: number;
  calls: number;
  perSecond: number;
  p50: number;
  p99: number;
  errors: number;
  errorKinds: Record<string, number>;
  rssPeakMiB: number[];
  pgConnectionsPeak: number;
  /** Mean over the 1 s samples of the database's sessions waiting on a lock (the shared pace row, the relay). */
  pgLockWaitersMean: number;
  /** The machine's 1-minute load average at the end of the window (2 cores: above 2, something else competed). */
  loadAverage: number;
  replicaCpuPercent: number;
  generatorCpuPercent: number;
  mcpCalls: number;
  sseCalls: number;
}

function haproxyConfig(port: number, replicaPorts: number[]) {
  return `${[
    'global',
    '  maxconn 8192',
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    '  timeout client 60s',
    '  timeout server 60s',
    '  timeout tunnel 1h',
    '  option http-keep-alive',
    // As tools/deploy/haproxy.cfg: a reused idle connection the replica closed at the same moment (Node's 5 s
    // keep-alive) is retried on a fresh one instead of closing the client's connection.
    '  retries 3',
    '  option redispatch',
    '  retry-on conn-failure empty-response',
    'frontend gateway',
    `  bind 127.0.0.1:${port}`,
    '  default_backend replicas',
    'backend replicas',
    '  balance roundrobin',
    '  option httpchk GET /health',
    '  http-check expect status 200',
    ...replicaPorts.map((p, i) => `  server r${i + 1} 127.0.0.1:${p} check inter 1s`),
  ].join('\n')}\n`;
}

async function run(count: number, sandboxUrl: string): Promise<RunResult> {
  const db = `ng_bench_load_${randomBytes(5).toString('hex')}`;
  await admin(`create database "${db}"`);
  const databaseUrl = withDatabase(SERVER_URL, db);
  const dir = makeTempDir('ng-bench-load-');
  const replicas: Awaited<ReturnType<typeof startGateway>>[] = [];
  let balancer: ChildProcess | null = null;
  const watcher = new pg.Client({ connectionString: SERVER_URL });
  try {
    // One after the other, as in test:replicas: the first runs the migrations.
    for (let i = 0; i < count; i++) {
      replicas.push(
        await startGateway({
          DATABASE_URL: databaseUrl,
          DATA_DIR: dir,
          ACTION_API_TOKEN: TOKEN,
          TOKEN_ENCRYPTION_KEYS: KEYS,
          NOTION_TOKEN,
          NOTION_BASE_URL: sandboxUrl,
          NOTION_RATE_LIMIT_PER_MINUTE: '1000000',
          NOTION_RATE_BURST: '1000',
          MAX_CONNECTIONS: '4096',
          LOG_LEVEL: 'warn',
        }),
      );
    }
    const port = await freePort();
    const config = join(dir, 'haproxy.cfg');
    writeFileSync(
      config,
      haproxyConfig(
        port,
        replicas.map((r) => Number(new URL(r.url).port)),
      ),
    );
    const valid = spawnSync('haproxy', ['-c', '-q', '-f', config], { encoding: 'utf8' });
    if (valid.status !== 0) throw new Error(`haproxy -c: ${valid.stderr}${valid.error ?? ''}`);
    balancer = spawn('haproxy', ['-db', '-q', '-f', config], { stdio: ['ignore', 'ignore', 'inherit'] });
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 100; i++) {
      const res = await fetch(`${base}/health`).catch(() => null);
      if (res?.ok) break;
      await sleep(100);
    }
    await sleep(2_000); // haproxy's health checks have seen every replica

    await watcher.connect();
    let pgPeak = 0;
    const lockSamples: number[] = [];
    const rssPeak = replicas.map(() => 0);
    const sample = async () => {
      const { rows } = await watcher.query<{ n: string; locked: string }>(
        `select count(*) as n, count(*) filter (where wait_event_type = 'Lock') as locked
           from pg_stat_activity where datname = $1`,
        [db],
      );
      pgPeak = Math.max(pgPeak, Number(rows[0]!.n));
      lockSamples.push(Number(rows[0]!.locked));
      replicas.forEach((r, i) => {
        rssPeak[i] = Math.max(rssPeak[i]!, rssMiB(r.proc.pid));
      });
    };

    const window = { open: false, stop: false };
    const tallies = {
      mcp: { latencies: [], errors: new Map() } as Tally,
      sse: { latencies: [], errors: new Map() } as Tally,
    };
    let connected = 0;
    const clients: Promise<void>[] = [];
    for (let i = 0; i < CLIENTS; i++) {
      const kind = i % 2 === 0 ? 'mcp' : 'sse';
      const start = kind === 'mcp' ? streamableClient : sseClient;
      clients.push(
        start(base, window, tallies[kind], () => connected++).catch((error: Error) => {
          fail(tallies[kind], `${kind}: client failed: ${error.message}`);
        }),
      );
      // Connect in small waves, as clients would arrive, rather than 200 handshakes in one tick.
      if (i % 20 === 19) await sleep(50);
    }
    for (let i = 0; i < 600 && connected < CLIENTS; i++) await sleep(50);
    if (connected < CLIENTS) throw new Error(`only ${connected} of ${CLIENTS} clients connected`);
    await sleep(2_000); // warm-up: every client in its loop

    const cpuBefore = replicas.map((r) => cpuMs(r.proc.pid));
    const selfBefore = process.cpuUsage();
    window.open = true;
    const started = performance.now();
    const sampler = setInterval(() => void sample().catch(() => {}), 1_000);
    await sample();
    await sleep(SECONDS * 1000);
    window.open = false;
    const elapsed = (performance.now() - started) / 1000;
    clearInterval(sampler);
    await sample();
    const replicaCpu = replicas.reduce((sum, r, i) => sum + cpuMs(r.proc.pid) - cpuBefore[i]!, 0);
    const self = process.cpuUsage(selfBefore);
    window.stop = true;
    await Promise.race([Promise.all(clients), sleep(15_000)]);

    const latencies = [...tallies.mcp.latencies, ...tallies.sse.latencies];
    const errorKinds: Record<string, number> = {};
    for (const t of [tallies.mcp, tallies.sse]) for (const [k, v] of t.errors) errorKinds[k] = v;
    return {
      replicas: count,
      calls: latencies.length,
      perSecond: latencies.length / elapsed,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      errors: Object.values(errorKinds).reduce((a, b) => a + b, 0),
      errorKinds,
      rssPeakMiB: rssPeak,
      pgConnectionsPeak: pgPeak,
      pgLockWaitersMean: lockSamples.reduce((a, b) => a + b, 0) / Math.max(1, lockSamples.length),
      loadAverage: loadavg()[0]!,
      replicaCpuPercent: (replicaCpu / (elapsed * 1000)) * 100,
      generatorCpuPercent: ((self.user + self.system) / 1000 / (elapsed * 1000)) * 100,
      mcpCalls: tallies.mcp.latencies.length,
      sseCalls: tallies.sse.latencies.length,
    };
  } finally {
    await watcher.end().catch(() => {});
    balancer?.kill('SIGKILL');
    await Promise.all(replicas.map((r) => stopChild(r.proc, 3_000)));
    await admin(`drop database if exists "${db}" with (force)`).catch(() => {});
    removeTempDir(dir);
  }
}

const sandboxPort = await freePort();
const sandbox = spawnNode(
  ['tools/notion-sandbox/cli.ts', '--port', String(sandboxPort), '--token', NOTION_TOKEN],
  {},
  {
    cwd: root,
  },
);
const sandboxUrl = `http://127.0.0.1:${sandboxPort}`;
try {
  await waitUntil(sandbox, async () => sandbox.output().includes('listening'));
  console.error(`bench:load: ${CLIENTS} clients (½ Streamable HTTP, ½ SSE), ${SECONDS} s per run`);
  const results: RunResult[] = [];
  for (const count of [1, 3]) {
    console.error(`  ${count} replica(s)…`);
    results.push(await run(count, sandboxUrl));
    await sleep(1_000);
  }
  if (values.json) {
    console.log(JSON.stringify({ clients: CLIENTS, seconds: SECONDS, results }, null, 2));
  } else {
    const [one, three] = results as [RunResult, RunResult];
    const fmt = (n: number, digits = 1) =>
      n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
    const rows: Array<[string, string, string, string]> = [
      ['calls answered (MCP / SSE)', `${one.mcpCalls} / ${one.sseCalls}`, `${three.mcpCalls} / ${three.sseCalls}`, '—'],
      ['throughput (calls/s)', fmt(one.perSecond, 0), fmt(three.perSecond, 0), fmt(three.perSecond / one.perSecond, 2)],
      ['latency p50 (ms)', fmt(one.p50), fmt(three.p50), fmt(three.p50 / one.p50, 2)],
      ['latency p99 (ms)', fmt(one.p99), fmt(three.p99), fmt(three.p99 / one.p99, 2)],
      ['errors', String(one.errors), String(three.errors), '—'],
      [
        'RSS per replica, peak (MiB)',
        one.rssPeakMiB.map((v) => fmt(v, 0)).join(' / '),
        three.rssPeakMiB.map((v) => fmt(v, 0)).join(' / '),
        fmt(three.rssPeakMiB.reduce((a, b) => a + b, 0) / one.rssPeakMiB[0]!, 2),
      ],
      [
        'PostgreSQL connections, peak',
        String(one.pgConnectionsPeak),
        String(three.pgConnectionsPeak),
        fmt(three.pgConnectionsPeak / one.pgConnectionsPeak, 2),
      ],
      ['PostgreSQL sessions waiting on a lock, mean', fmt(one.pgLockWaitersMean), fmt(three.pgLockWaitersMean), '—'],
      ['machine load average (1 min, 2 cores)', fmt(one.loadAverage), fmt(three.loadAverage), '—'],
      [
        'replicas CPU per call (ms)',
        fmt((one.replicaCpuPercent * 10 * SECONDS) / one.calls, 2),
        fmt((three.replicaCpuPercent * 10 * SECONDS) / three.calls, 2),
        fmt((three.replicaCpuPercent * one.calls) / (one.replicaCpuPercent * three.calls), 2),
      ],
      [
        'replicas CPU (% of one core)',
        fmt(one.replicaCpuPercent, 0),
        fmt(three.replicaCpuPercent, 0),
        fmt(three.replicaCpuPercent / one.replicaCpuPercent, 2),
      ],
      ['load generator CPU (% of one core)', fmt(one.generatorCpuPercent, 0), fmt(three.generatorCpuPercent, 0), '—'],
    ];
    const widths = [0, 1, 2, 3].map((c) =>
      Math.max(...[['', '1 replica', '3 replicas', '3 ÷ 1'], ...rows].map((r) => r[c]!.length)),
    );
    const line = (r: string[]) => `| ${r.map((v, i) => v.padEnd(widths[i]!)).join(' | ')} |`;
    console.log(line(['', '1 replica', '3 replicas', '3 ÷ 1']));
    console.log(`| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`);
    for (const r of rows) console.log(line(r));
    for (const r of results) if (r.errors) console.log(`errors with ${r.replicas}: ${JSON.stringify(r.errorKinds)}`);
  }
  if (results.some((r) => r.errors > 0)) process.exitCode = 1;
} finally {
  await stopChild(sandbox, 2_000);
  await dispatcher.close();
}
