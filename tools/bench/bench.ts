/**
 * `npm run bench [-- --quick] [--calls N] [--load-calls N] [--concurrency N] [--startup-runs N] [--out file.json]
 *                    [--profile] [--gateway-dir <checkout>]`
 * Our gateway against the official Notion MCP server (@notionhq/notion-mcp-server, Streamable HTTP), both in front
 * of the same Notion sandbox, measured in one run so the ratios share the machine's state:
 *   tools/list size · latency added over a direct @notionhq/client call (p50/p99, per transport) · server CPU per
 *   call · throughput with N concurrent clients · resident memory after start and after load · start-to-ready on an
 *   empty and on an existing data directory.
 * Every process (sandbox, gateways, official servers) is a child of this one and is stopped at the end, also on an
 * error or Ctrl-C. Prints a table and writes JSON (default tools/bench/results/bench-<timestamp>.json, gitignored).
 * `--gateway-dir` runs the gateway of another checkout (e.g. a `git worktree` of HEAD while this tree is mid-edit).
 * `--profile` also writes V8 CPU profiles of both servers' load phase and prints where their CPU time went.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Client as NotionClient } from '@notionhq/client';
import { seedDemoWorkspace } from '../notion-sandbox/seed.ts';
import {
  cpuMs,
  freePort,
  initializeRequest,
  makeTempDir,
  mcpRpc,
  median,
  type NodeChild,
  percentile,
  removeTempDir,
  root,
  rssMiB,
  spawnNode,
  startGateway,
  stopChild,
  toolsListText,
  waitUntil,
} from './lib.ts';
import { monotonicUs, printProfileSummary } from './profile.ts';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    calls: { type: 'string' },
    'load-calls': { type: 'string' },
    concurrency: { type: 'string', default: '8' },
    'startup-runs': { type: 'string' },
    warmup: { type: 'string' },
    out: { type: 'string' },
    profile: { type: 'boolean', default: false },
    'gateway-dir': { type: 'string' },
  },
});
const num = (v: string | undefined, fallback: number) => (v === undefined ? fallback : Math.max(1, Number(v)));
const options = {
  /** sequential calls per target and operation in the latency phase */
  calls: num(args.calls, args.quick ? 60 : 500),
  /** calls per target and operation in the throughput phase, split over `rounds` alternating rounds */
  loadCalls: num(args['load-calls'], args.quick ? 400 : 2000),
  rounds: args.quick ? 1 : 2,
  concurrency: num(args.concurrency, 8),
  startupRuns: num(args['startup-runs'], args.quick ? 1 : 3),
  warmup: num(args.warmup, args.quick ? 40 : 200),
};

const gatewayDir = resolve(args['gateway-dir'] ?? root);
const SANDBOX_TOKEN = 'secret_bench_workspace';
const API_TOKEN = 'bench-api-token-0123456789abcdef';
const OFFICIAL_TOKEN = 'bench-official-token-0123456789';
const officialDir = join(root, 'node_modules/@notionhq/notion-mcp-server');
const officialVersion = (JSON.parse(readFileSync(join(officialDir, 'package.json'), 'utf8')) as { version: string })
  .version;

type Op = 'me' | 'page';
const OPS: Op[] = ['me', 'page'];
const OP_LABEL: Record<Op, string> = { me: 'users/me', page: 'page retrieve' };
type TargetKey = 'direct' | 'oursMcp' | 'oursRest' | 'official';
const TARGETS: TargetKey[] = ['direct', 'oursMcp', 'oursRest', 'official'];
const COLUMN: Record<TargetKey, string> = {
  direct: 'direct SDK',
  oursMcp: 'ours MCP',
  oursRest: 'ours REST',
  official: 'official MCP',
};

const rotate = <T>(xs: T[], by: number) => xs.map((_, i) => xs[(i + by) % xs.length]!);

async function startSandbox() {
  const port = await freePort();
  const proc = spawnNode(['tools/notion-sandbox/cli.ts', '--port', String(port), '--token', SANDBOX_TOKEN], {});
  const url = `http://127.0.0.1:${port}`;
  await waitUntil(proc, async () => (await fetch(`${url}/__sandbox/counters`)).ok);
  return { proc, url };
}

function gatewayEnv(sandboxUrl: string, dataDir: string): Record<string, string> {
  return {
    NOTION_BASE_URL: sandboxUrl,
    NOTION_TOKEN: SANDBOX_TOKEN,
    ACTION_API_TOKEN: API_TOKEN,
    MCP_AUTH: 'bearer',
    DATA_DIR: dataDir,
    // Empty means unset: the embedded store under DATA_DIR with a generated key, whatever the caller's shell has.
    DATABASE_URL: '',
    PGLITE_DATA_DIR: '',
    TOKEN_ENCRYPTION_KEYS: '',
    LOG_LEVEL: 'warn',
    // Our own per-connection pacing would otherwise be what this measures.
    NOTION_RATE_LIMIT_PER_MINUTE: '1000000',
  };
}

/** The official server in Streamable HTTP mode; ready at its first successful MCP initialize. */
async function startOfficial(sandboxUrl: string, nodeFlags: string[] = []) {
  const port = await freePort();
  const started = performance.now();
  const bin = join(officialDir, 'bin/cli.mjs');
  const args = [bin, '--transport', 'http', '--port', String(port), '--auth-token', OFFICIAL_TOKEN];
  const proc = spawnNode(
    args,
    {
      BASE_URL: sandboxUrl,
      OPENAPI_MCP_HEADERS: JSON.stringify({ Authorization: `Bearer ${SANDBOX_TOKEN}`, 'Notion-Version': '2025-09-03' }),
      // With NOTION_TOKEN set its HTTP mode calls the real api.notion.com once at start.
      NOTION_TOKEN: '',
      AUTH_TOKEN: '',
    },
    { nodeFlags },
  );
  const url = `http://127.0.0.1:${port}`;
  const auth = { Authorization: `Bearer ${OFFICIAL_TOKEN}` };
  await waitUntil(proc, async () =>
    (await mcpRpc(`${url}/mcp`, initializeRequest('bench'), auth)).text.includes('"result"'),
  );
  return { proc, url, ms: performance.now() - started };
}

async function connectMcp(url: string, token: string): Promise<McpClient> {
  const client = new McpClient({ name: 'notion-gateway-bench', version: '1' });
  const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  return client;
}

/** Throws unless an MCP tool result is a success carrying the expected Notion object. */
function checkToolResult(result: Awaited<ReturnType<McpClient['callTool']>>, object: string) {
  const content = result.content as Array<{ type: string; text?: string }>;
  const text = content.find((c) => c.type === 'text')?.text ?? '';
  if (result.isError || !text.includes(`"object":"${object}"`)) {
    throw new Error(`tool call failed: ${text.slice(0, 300)}`);
  }
}

const EXPECTED: Record<Op, string> = { me: 'user', page: 'page' };

interface Target {
  /** server process whose CPU and memory are read (none for the direct SDK call) */
  pid: number | null;
  call(op: Op, worker: number): Promise<void>;
}

function buildTargets(ctx: {
  pageId: string;
  gatewayUrl: string;
  gatewayPid: number;
  officialPid: number;
  notion: NotionClient[];
  ours: McpClient[];
  official: McpClient[];
}): Record<TargetKey, Target> {
  const path: Record<Op, string> = { me: '/v1/users/me', page: `/v1/pages/${ctx.pageId}` };
  const officialTool: Record<Op, [string, Record<string, unknown>]> = {
    me: ['API-get-self', {}],
    page: ['API-retrieve-a-page', { page_id: ctx.pageId }],
  };
  return {
    direct: {
      pid: null,
      async call(op, w) {
        const n = ctx.notion[w]!;
        const res = op === 'me' ? await n.users.me({}) : await n.pages.retrieve({ page_id: ctx.pageId });
        if (res.object !== EXPECTED[op]) throw new Error(`direct call returned ${res.object}`);
      },
    },
    oursMcp: {
      pid: ctx.gatewayPid,
      async call(op, w) {
        const args = { method: 'GET', path: path[op] };
        checkToolResult(await ctx.ours[w]!.callTool({ name: 'notion_request', arguments: args }), EXPECTED[op]);
      },
    },
    oursRest: {
      pid: ctx.gatewayPid,
      async call(op) {
        const res = await fetch(`${ctx.gatewayUrl}/v1/notion/request`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify({ method: 'GET', path: path[op] }),
        });
        const text = await res.text();
        if (!res.ok || !text.includes(`"object":"${EXPECTED[op]}"`)) throw new Error(`REST ${res.status}: ${text}`);
      },
    },
    official: {
      pid: ctx.officialPid,
      async call(op, w) {
        const [name, args] = officialTool[op];
        checkToolResult(await ctx.official[w]!.callTool({ name, arguments: args }), EXPECTED[op]);
      },
    },
  };
}

/** `calls` calls shared by `concurrency` workers; CPU of the server, the sandbox and this process around them. */
async function load(target: Target, op: Op, calls: number, concurrency: number, sandboxPid: number) {
  let next = 0;
  const worker = async (w: number) => {
    while (next < calls) {
      next++;
      await target.call(op, w);
    }
  };
  const server0 = target.pid ? cpuMs(target.pid) : 0;
  const sandbox0 = cpuMs(sandboxPid);
  const client0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  const ms = performance.now() - t0;
  const client = process.cpuUsage(client0);
  return {
    calls,
    ms,
    serverCpuMs: target.pid ? cpuMs(target.pid) - server0 : 0,
    sandboxCpuMs: cpuMs(sandboxPid) - sandbox0,
    clientCpuMs: (client.user + client.system) / 1000,
  };
}

const children: NodeChild[] = [];
const tempDirs: string[] = [];
const mcpClients: McpClient[] = [];
const startedAt = new Date();

async function run() {
  console.log(
    `Benchmark: Notion Gateway vs @notionhq/notion-mcp-server ${officialVersion} (node ${process.version}, ` +
      `${availableParallelism()} cores) ${JSON.stringify(options)}`,
  );
  const sandbox = await startSandbox();
  children.push(sandbox.proc);
  const seeded = await seedDemoWorkspace(sandbox.url, SANDBOX_TOKEN);
  const pageId = seeded.tasks.pageIds[0]!;

  // Start-up, alternating ours and theirs. The official server has no data directory: every start is the same.
  console.log('start-up…');
  const startup = { oursEmpty: [] as number[], oursExisting: [] as number[], official: [] as number[] };
  let dataDir = '';
  for (let i = 0; i < options.startupRuns; i++) {
    if (dataDir) removeTempDir(dataDir);
    dataDir = makeTempDir();
    for (const phase of ['oursEmpty', 'official', 'oursExisting', 'official'] as const) {
      const started =
        phase === 'official'
          ? await startOfficial(sandbox.url)
          : await startGateway(gatewayEnv(sandbox.url, dataDir), { cwd: gatewayDir });
      startup[phase].push(started.ms);
      await stopChild(started.proc);
    }
  }
  tempDirs.push(dataDir);

  // The servers measured under load: ours on the existing data directory, as after any restart.
  const profileDir = join(root, 'tools/bench/results', `profiles-${stamp(startedAt)}`);
  const profFlags = (name: string) =>
    args.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${name}.cpuprofile`] : [];
  const gateway = await startGateway(gatewayEnv(sandbox.url, dataDir), {
    nodeFlags: profFlags('ours'),
    cwd: gatewayDir,
  });
  children.push(gateway.proc);
  // The official server has no SIGTERM handler, and V8 writes the profile only on a normal exit.
  const exitOnTerm = `--import=data:text/javascript,process.once('SIGTERM',()=>process.exit(0))`;
  const official = await startOfficial(sandbox.url, args.profile ? [...profFlags('official'), exitOnTerm] : []);
  children.push(official.proc);
  const rssAfterStart = { ours: rssMiB(gateway.proc.pid), official: rssMiB(official.proc.pid) };

  const oursList = await toolsListText(`${gateway.url}/mcp`, { Authorization: `Bearer ${API_TOKEN}` });
  const officialList = await toolsListText(`${official.url}/mcp`, { Authorization: `Bearer ${OFFICIAL_TOKEN}` });
  const toolNames = (text: string) =>
    (JSON.parse(text) as { result: { tools: Array<{ name: string }> } }).result.tools.map((t) => t.name);
  for (const name of ['API-get-self', 'API-retrieve-a-page']) {
    if (!toolNames(officialList).includes(name)) throw new Error(`the official server has no tool ${name}`);
  }
  if (!toolNames(oursList).includes('notion_request')) throw new Error('our gateway has no tool notion_request');

  // One client per concurrent worker, so each MCP worker has its own session (the official server is stateful).
  const workers = Array.from({ length: options.concurrency }, (_, i) => i);
  const notion = workers.map(() => new NotionClient({ auth: SANDBOX_TOKEN, baseUrl: sandbox.url }));
  const ours = await Promise.all(workers.map(() => connectMcp(gateway.url, API_TOKEN)));
  const theirs = await Promise.all(workers.map(() => connectMcp(official.url, OFFICIAL_TOKEN)));
  mcpClients.push(...ours, ...theirs);
  const targets = buildTargets({
    pageId,
    gatewayUrl: gateway.url,
    gatewayPid: gateway.proc.pid,
    officialPid: official.proc.pid,
    notion,
    ours,
    official: theirs,
  });

  console.log('warm-up…');
  for (const key of TARGETS) {
    for (const op of OPS) await load(targets[key], op, options.warmup, options.concurrency, sandbox.proc.pid);
  }

  // Latency: one call per target in turn (rotating the order every round), so drifts hit every target alike.
  console.log('latency…');
  const latency = Object.fromEntries(
    OPS.map((op) => [op, Object.fromEntries(TARGETS.map((k) => [k, [] as number[]]))]),
  );
  for (const op of OPS) {
    for (let i = 0; i < options.calls; i++) {
      for (const key of rotate(TARGETS, i % TARGETS.length)) {
        const t0 = performance.now();
        await targets[key].call(op, 0);
        latency[op]![key]!.push(performance.now() - t0);
      }
    }
  }

  // Throughput and CPU: each target alone for a fixed count of calls, in alternating rounds.
  console.log('throughput…');
  type LoadResult = Awaited<ReturnType<typeof load>>;
  const loads = Object.fromEntries(
    OPS.map((op) => [op, Object.fromEntries(TARGETS.map((k) => [k, [] as LoadResult[]]))]),
  );
  const perRound = Math.ceil(options.loadCalls / options.rounds);
  const loadWindow: [number, number] = [monotonicUs(), 0];
  for (let r = 0; r < options.rounds; r++) {
    for (const op of rotate(OPS, r)) {
      for (const key of rotate(TARGETS, r)) {
        loads[op]![key]!.push(await load(targets[key], op, perRound, options.concurrency, sandbox.proc.pid));
      }
    }
  }
  loadWindow[1] = monotonicUs();
  const rssAfterLoad = { ours: rssMiB(gateway.proc.pid), official: rssMiB(official.proc.pid) };

  // Summaries.
  const sum = (rs: LoadResult[], f: (r: LoadResult) => number) => rs.reduce((a, r) => a + f(r), 0);
  const results = {
    toolsListChars: { ours: oursList.length, official: officialList.length },
    latency: Object.fromEntries(
      OPS.map((op) => {
        const direct = latency[op]!.direct!;
        const summary = Object.fromEntries(
          TARGETS.map((k) => {
            const xs = latency[op]![k]!;
            const p50 = percentile(xs, 50);
            const p99 = percentile(xs, 99);
            return [
              k,
              {
                p50,
                p99,
                addedP50: p50 - percentile(direct, 50),
                addedP99: p99 - percentile(direct, 99),
                n: xs.length,
              },
            ];
          }),
        );
        return [op, summary];
      }),
    ),
    load: Object.fromEntries(
      OPS.map((op) => [
        op,
        Object.fromEntries(
          TARGETS.map((k) => {
            const rs = loads[op]![k]!;
            const calls = sum(rs, (r) => r.calls);
            return [
              k,
              {
                calls,
                reqPerSec: calls / (sum(rs, (r) => r.ms) / 1000),
                serverCpuMsPerCall: targets[k].pid ? sum(rs, (r) => r.serverCpuMs) / calls : null,
                sandboxCpuMsPerCall: sum(rs, (r) => r.sandboxCpuMs) / calls,
                clientCpuMsPerCall: sum(rs, (r) => r.clientCpuMs) / calls,
              },
            ];
          }),
        ),
      ]),
    ),
    rssMiB: { afterStart: rssAfterStart, afterLoad: rssAfterLoad },
    startupMs: {
      oursEmpty: startup.oursEmpty,
      oursExisting: startup.oursExisting,
      official: startup.official,
    },
  };

  for (const c of mcpClients.splice(0)) await c.close();
  await stopChild(gateway.proc);
  await stopChild(official.proc);

  const table = renderTable(results);
  console.log(`\n${table}`);
  if (args.profile) {
    printProfileSummary(join(profileDir, 'ours.cpuprofile'), 'our gateway, throughput phase', loadWindow);
    printProfileSummary(join(profileDir, 'official.cpuprofile'), 'the official server, throughput phase', loadWindow);
  }

  const out = args.out ?? join(root, 'tools/bench/results', `bench-${stamp(startedAt)}.json`);
  mkdirSync(dirname(out), { recursive: true });
  const meta = {
    startedAt: startedAt.toISOString(),
    node: process.version,
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model,
    officialVersion,
    gatewayDir,
    git: gitState(gatewayDir),
    options,
    pageId,
    notes: [
      'latency in ms; added = percentile(transport) - same percentile(direct SDK call)',
      'CPU per call = utime+stime of the server process over the throughput phase / calls (nothing subtracted)',
      'ours MCP and ours REST are the same process: memory is reported once',
    ],
  };
  writeFileSync(out, `${JSON.stringify({ meta, results, table }, null, 2)}\n`);
  console.log(`\nJSON: ${relative(process.cwd(), out)}`);
}

type Results = {
  toolsListChars: { ours: number; official: number };
  latency: Record<string, Record<string, { p50: number; p99: number; addedP50: number; addedP99: number }>>;
  load: Record<string, Record<string, { reqPerSec: number; serverCpuMsPerCall: number | null }>>;
  rssMiB: { afterStart: { ours: number; official: number }; afterLoad: { ours: number; official: number } };
  startupMs: { oursEmpty: number[]; oursExisting: number[]; official: number[] };
};

function renderTable(r: Results): string {
  const f = (digits: number) => (v: number | null | undefined) =>
    v === null || v === undefined || Number.isNaN(v)
      ? '—'
      : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  const ratio = (a: number | null | undefined, b: number | null | undefined) =>
    a === null || a === undefined || b === null || b === undefined || b === 0 ? '—' : (a / b).toFixed(2);
  const rows: string[][] = [];
  // A row: label, then the direct / ours MCP / ours REST / official cells, then both ratios ours ÷ official.
  const add = (
    label: string,
    v: Partial<Record<TargetKey, number | null>>,
    fmt: (v: number | null | undefined) => string,
  ) =>
    rows.push([label, ...TARGETS.map((k) => fmt(v[k])), ratio(v.oursMcp, v.official), ratio(v.oursRest, v.official)]);
  add(
    'tools/list response (characters)',
    { oursMcp: r.toolsListChars.ours, official: r.toolsListChars.official },
    f(0),
  );
  for (const op of OPS) {
    const l = r.latency[op]!;
    const pick = (key: 'p50' | 'p99' | 'addedP50' | 'addedP99') =>
      Object.fromEntries(TARGETS.map((k) => [k, l[k]![key]])) as Record<TargetKey, number>;
    add(`${OP_LABEL[op]}: latency p50 (ms)`, pick('p50'), f(2));
    add(`${OP_LABEL[op]}: latency p99 (ms)`, pick('p99'), f(2));
    add(`${OP_LABEL[op]}: added p50 (ms)`, { ...pick('addedP50'), direct: null }, f(2));
    add(`${OP_LABEL[op]}: added p99 (ms)`, { ...pick('addedP99'), direct: null }, f(2));
  }
  for (const op of OPS) {
    const l = r.load[op]!;
    const pick = (key: 'reqPerSec' | 'serverCpuMsPerCall') =>
      Object.fromEntries(TARGETS.map((k) => [k, l[k]![key]])) as Record<TargetKey, number | null>;
    add(`${OP_LABEL[op]}: server CPU per call (ms)`, pick('serverCpuMsPerCall'), f(2));
    add(`${OP_LABEL[op]}: throughput, ${options.concurrency} clients (req/s)`, pick('reqPerSec'), f(0));
  }
  const mem = (m: { ours: number; official: number }) => ({ oursMcp: m.ours, official: m.official });
  add('resident memory after start (MiB)', mem(r.rssMiB.afterStart), f(0));
  add('resident memory after load (MiB)', mem(r.rssMiB.afterLoad), f(0));
  const s = r.startupMs;
  add(
    'start to ready, empty data dir (ms, median)',
    { oursMcp: median(s.oursEmpty), official: median(s.official) },
    f(0),
  );
  add(
    'start to ready, existing data dir (ms, median)',
    { oursMcp: median(s.oursExisting), official: median(s.official) },
    f(0),
  );

  const header = ['', ...TARGETS.map((k) => COLUMN[k]), 'MCP ours÷official', 'REST ours÷official'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    '',
    'added = percentile over the direct @notionhq/client call to the sandbox; ours MCP and REST share one process',
    '(memory and start-up are shown once, under ours MCP); the official server has no data dir (same starts in both rows).',
  ].join('\n');
}

const stamp = (d: Date) => d.toISOString().replace(/[:.]/g, '-');

/** Which gateway was measured: the commit, and how many files under src/ differ from it. */
function gitState(cwd: string) {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd, encoding: 'utf8' }).trim();
    return { sha, srcUncommittedFiles: dirty ? dirty.split('\n').length : 0 };
  } catch {
    return null;
  }
}

try {
  await run();
} finally {
  for (const c of mcpClients) await c.close().catch(() => {});
  for (const child of children.reverse()) await stopChild(child);
  for (const dir of tempDirs) removeTempDir(dir);
}
