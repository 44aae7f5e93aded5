/**
 * Stalled and slow clients against a gateway in its own process (`node src/main.ts`, loopback only), so its resident
 * memory can be measured alone. Before the fix 2,000 stalled unauthenticated 1 MB uploads grew it by ~1.1 GB; now
 * unauthenticated bodies are never read, authenticated ones are bounded by size and BODY_READ_TIMEOUT_MS, headers by
 * HTTP_HEADERS_TIMEOUT_MS, and connections by MAX_CONNECTIONS. Bounded in count (≤ 700 sockets) and time (≈ 15 s).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startScript } from '../../tools/bench/lib.ts';
import { API_TOKEN, TEST_ENCRYPTION_KEYS } from '../support/gateway.ts';
import { stalledSocket, untilClosed } from '../support/raw-http.ts';

let child: ChildProcess;
let url: string;
const MAX_CONNECTIONS = 120;

const rssMiB = () => {
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
};

beforeAll(async () => {
  // As npm start runs it (its Node flags and environment), so the figures are the ones an operator sees.
  const script = startScript();
  child = spawn(process.execPath, [...script.flags, 'src/main.ts'], {
    env: {
      ...script.env,
      PATH: process.env.PATH,
      PORT: '0',
      HOST: '127.0.0.1',
      ACTION_API_TOKEN: API_TOKEN,
      TOKEN_ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS,
      PGLITE_DATA_DIR: 'memory://',
      DATA_DIR: '.tmp/stalled-clients',
      LOG_LEVEL: 'info',
      MAX_CONNECTIONS: String(MAX_CONNECTIONS),
      BODY_READ_TIMEOUT_MS: '2000',
      HTTP_HEADERS_TIMEOUT_MS: '2000',
      HTTP_REQUEST_TIMEOUT_MS: '4000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no start: ${out}`)), 50_000);
    const onData = (c: Buffer) => {
      out += c.toString();
      const m = /"url":"(http:\/\/[^"]+)"/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
  });
});

afterAll(() => {
  child?.kill('SIGTERM');
});

const head = (path: string, auth: boolean, length: number) =>
  `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n${auth ? `Authorization: Bearer ${API_TOKEN}\r\n` : ''}Content-Length: ${length}\r\n\r\n`;

it('stalled uploads, slow headers and a connection flood leave memory bounded and every socket closed in time', async () => {
  // Baseline: the idle process's own peak over 3 s (PGlite and the JIT are still settling after a start).
  let before = rssMiB();
  for (let i = 0; i < 30; i++) {
    await new Promise((r) => setTimeout(r, 100));
    before = Math.max(before, rssMiB());
  }
  await fetch(`${url}/health`);
  let peak = before;
  const sample = setInterval(() => {
    peak = Math.max(peak, rssMiB());
  }, 100);
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  const sockets: Array<{ kind: string; socket: Socket }> = [];
  const open = async (kind: string, data: string | Buffer) => {
    try {
      sockets.push({ kind, socket: await stalledSocket(url, data) });
    } catch {
      sockets.push({ kind: `${kind}-refused`, socket: null as never });
    }
  };
  const started = performance.now();
  // 400 unauthenticated 1 MB uploads (REST and MCP) that send 64 KB and stall; 50 authenticated ones that send
  // 256 KB of 1 MB and stall; 100 clients that never finish their headers; 150 more uploads while those hold the cap.
  for (let i = 0; i < 200; i++)
    await open('unauth-rest', Buffer.concat([Buffer.from(head('/v1/notion/request', false, 1_000_000)), chunk]));
  for (let i = 0; i < 200; i++)
    await open('unauth-mcp', Buffer.concat([Buffer.from(head('/mcp', false, 1_000_000)), chunk]));
  for (let i = 0; i < 50; i++)
    await open(
      'auth-rest',
      Buffer.concat([Buffer.from(head('/v1/search', true, 1_000_000)), chunk, chunk, chunk, chunk]),
    );
  for (let i = 0; i < 100; i++) await open('slow-headers', 'POST /v1/search HTTP/1.1\r\nHost: 127.0.0.1\r\n');
  for (let i = 0; i < 150; i++)
    await open('flood', Buffer.concat([Buffer.from(head('/v1/notion/request', false, 1_000_000)), chunk]));
  const results = await Promise.all(
    sockets.filter((s) => s.socket).map(async ({ kind, socket }) => ({ kind, ...(await untilClosed(socket, 12_000)) })),
  );
  clearInterval(sample);
  const elapsed = performance.now() - started;
  const stillOpen = results.filter((r) => !r.closed);
  const byKind = (k: string) => results.filter((r) => r.kind === k);
  const statusOf = (r: { received: string }) => /^HTTP\/1\.1 (\d{3})/.exec(r.received)?.[1] ?? 'none';
  const summary = Object.fromEntries(
    ['unauth-rest', 'unauth-mcp', 'auth-rest', 'slow-headers', 'flood'].map((k) => [
      k,
      byKind(k).reduce<Record<string, number>>((acc, r) => {
        acc[statusOf(r)] = (acc[statusOf(r)] ?? 0) + 1;
        return acc;
      }, {}),
    ]),
  );
  console.log(
    `stalled clients: ${sockets.length} sockets, RSS ${before.toFixed(0)} → peak ${peak.toFixed(0)} MiB, all closed after ${(elapsed / 1000).toFixed(1)} s`,
    JSON.stringify(summary),
  );
  expect(stillOpen).toEqual([]);
  // Unauthenticated uploads are refused from their headers: 401 (or dropped when over the connection cap).
  for (const r of [...byKind('unauth-rest'), ...byKind('unauth-mcp'), ...byKind('flood')]) {
    expect(['401', 'none']).toContain(statusOf(r));
  }
  expect(byKind('unauth-rest').filter((r) => statusOf(r) === '401').length).toBeGreaterThan(150);
  // Over MAX_CONNECTIONS, connections are dropped on arrival while the stalled ones hold their slots.
  expect([...byKind('slow-headers'), ...byKind('flood')].filter((r) => statusOf(r) === 'none').length).toBeGreaterThan(
    0,
  );
  // Authenticated stalled bodies end with 408 after BODY_READ_TIMEOUT_MS (or 413/none when the cap dropped them).
  expect(byKind('auth-rest').filter((r) => statusOf(r) === '408').length).toBeGreaterThan(0);
  // 50 authenticated bodies of 256 KB may be held for 2 s; unauthenticated bytes are read and dropped (garbage the
  // GC collects lazily). Before the fix each stalled upload was buffered and held for Node's 300 s request timeout.
  expect(peak - before).toBeLessThan(300);
  // And the gateway still serves.
  expect((await fetch(`${url}/health`)).status).toBe(200);
});
