/**
 * Helpers shared by the benchmarks in tools/bench: free ports, child processes that are always stopped, waiting for
 * a server to answer, /proc readings and raw MCP JSON-RPC over Streamable HTTP.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const root = join(import.meta.dirname, '../..');

export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.once('error', reject);
  });

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A Node child process whose stdout/stderr tail is kept for the error message if it dies. */
export interface NodeChild {
  child: ChildProcess;
  pid: number;
  output(): string;
}

const running = new Set<ChildProcess>();
const tempDirs = new Set<string>();
let cleanupInstalled = false;

/** Last resort: nothing we spawned or created outlives us, whatever way we leave (error, SIGINT, SIGTERM). */
function installCleanup() {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.once('exit', () => {
    for (const c of running) c.kill('SIGKILL');
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: stopping child processes`);
      process.exit(130);
    });
  }
}

/** Runs `node <args>` with the project's Node (process.execPath), so the pid is the server itself, not a wrapper. */
export function spawnNode(
  args: string[],
  env: Record<string, string>,
  { nodeFlags = [], cwd = root }: { nodeFlags?: string[]; cwd?: string } = {},
): NodeChild {
  installCleanup();
  const child = spawn(process.execPath, [...nodeFlags, ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-4000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (child.pid === undefined) throw new Error(`could not spawn node ${args.join(' ')}`);
  return { child, pid: child.pid, output: () => tail };
}

/**
 * A fresh directory under `base` (default: the OS temp dir), removed at exit unless removed before with
 * `removeTempDir`.
 */
export function makeTempDir(prefix = 'ng-bench-', base = tmpdir()): string {
  installCleanup();
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(join(base, prefix));
  tempDirs.add(dir);
  return dir;
}

export function removeTempDir(dir: string) {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

/** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
export async function stopChild({ child }: NodeChild, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Polls `ready()` every 20 ms until it returns true; fails if the process exits or `timeoutMs` passes. */
export async function waitUntil(proc: NodeChild, ready: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (proc.child.exitCode !== null) {
      throw new Error(`process exited with ${proc.child.exitCode} before it was ready:\n${proc.output()}`);
    }
    try {
      if (await ready()) return;
    } catch {
      // not listening yet
    }
    await sleep(20);
  }
  throw new Error(`process not ready after ${timeoutMs} ms:\n${proc.output()}`);
}

/** The Node flags `npm start` passes (`"start": "node <flags> src/main.ts"` in that checkout's package.json). */
/** The `VAR=value` assignments and Node flags of `npm start` (`VAR=v node <flags> src/main.ts`) in a checkout. */
export function startScript(cwd = root): { env: Record<string, string>; flags: string[] } {
  const pkg = JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8')) as { scripts?: { start?: string } };
  const words = (pkg.scripts?.start ?? '').split(/\s+/).filter(Boolean);
  const env: Record<string, string> = {};
  while (words.length > 0 && /^[A-Z_][A-Z0-9_]*=/.test(words[0]!)) {
    const [name, ...value] = words.shift()!.split('=');
    // npm runs the script in the checkout: relative paths are relative to it.
    env[name!] = value.join('=');
  }
  const main = words.indexOf('src/main.ts');
  const flags = words[0] === 'node' && main > 0 ? words.slice(1, main) : [];
  return { env, flags };
}

export const startScriptFlags = (cwd = root): string[] => startScript(cwd).flags;

/**
 * `node <npm start's flags> src/main.ts` on 127.0.0.1 and a free port; resolves at the first 200 from /health. `cwd`
 * is the checkout whose gateway runs (another worktree, to measure a commit while this one is being edited); its
 * start script's flags come first, `nodeFlags` after them.
 */
export async function startGateway(
  env: Record<string, string>,
  spawnOptions: { nodeFlags?: string[]; cwd?: string } = {},
) {
  const port = await freePort();
  const started = performance.now();
  const script = startScript(spawnOptions.cwd);
  const proc = spawnNode(
    ['src/main.ts'],
    { LOG_LEVEL: 'warn', ...script.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    { ...spawnOptions, nodeFlags: [...script.flags, ...(spawnOptions.nodeFlags ?? [])] },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitUntil(proc, async () => (await fetch(`${url}/health`)).ok);
  return { proc, url, ms: performance.now() - started };
}

const clockTicks = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })) || 100;
  } catch {
    return 100;
  }
})();

/** CPU time (user + system, all threads) the process has used so far, in ms. Resolution is one clock tick. */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after "(comm) ": state is the 3rd field, utime the 14th, stime the 15th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks;
}

/** Resident memory (VmRSS) in MiB. */
export function rssMiB(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

export const mcpHeaders = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

export const initializeRequest = (clientName: string) => ({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: clientName, version: '1' } },
});

/**
 * One JSON-RPC message POSTed to an MCP Streamable HTTP endpoint. Returns the response message as JSON text (the
 * `data:` line when the server answers with an SSE stream) and the session id the server assigned, if any.
 */
export async function mcpRpc(
  mcpUrl: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ text: string; sessionId: string | null }> {
  const res = await fetch(mcpUrl, {
    method: 'POST',
    headers: { ...mcpHeaders, ...headers },
    body: JSON.stringify(body),
  });
  const raw = await res.text();
  if (!res.ok) throw new Error(`MCP ${res.status}: ${raw.slice(0, 300)}`);
  const text = res.headers.get('content-type')?.startsWith('text/event-stream')
    ? raw
        .split('\n')
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).trim())
        .join('')
    : raw;
  return { text, sessionId: res.headers.get('mcp-session-id') };
}

/** initialize then tools/list on one session; the tools/list response message as JSON text. */
export async function toolsListText(mcpUrl: string, headers: Record<string, string> = {}): Promise<string> {
  const { sessionId } = await mcpRpc(mcpUrl, initializeRequest('bench'), headers);
  const session: Record<string, string> = sessionId ? { 'mcp-session-id': sessionId } : {};
  return (await mcpRpc(mcpUrl, { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} }, { ...headers, ...session }))
    .text;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export const median = (values: number[]) => percentile(values, 50);
