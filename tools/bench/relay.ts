/**
 * `npm run bench:relay`: the measurement behind the legacy-SSE relay's transport (issue 18 point 1). A message posted
 * to a replica that does not hold the stream must reach the one that does: PostgreSQL LISTEN/NOTIFY (what the gateway
 * uses: the message stored in a table, its id NOTIFYed, the holder reading it back, src/store/sse-relay.ts) against
 * Redis pub/sub (the message PUBLISHed to the holder's channel). Both on this machine's servers; one message at a time
 * for latency, then a burst for throughput. Prints p50/p99 and messages/s and their ratios, measured in one run.
 *
 *   npm run bench:relay [-- --messages 2000]   (DATABASE_URL / TEST_DATABASE_URL, REDIS_URL default to localhost)
 */
import { connect, type Socket } from 'node:net';
import { parseArgs } from 'node:util';
import pg from 'pg';

const { values } = parseArgs({ options: { messages: { type: 'string', default: '2000' } } });
const MESSAGES = Number(values.messages);
const PAYLOAD = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'tools/call',
  params: { name: 'notion_query', arguments: { data_source_id: '0'.repeat(32), filter: { Done: false } } },
});
const databaseUrl =
  process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const redisUrl = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');

interface Transport {
  name: string;
  /** Sends one message; resolves when the receiving side has the payload. */
  send(payload: string): Promise<void>;
  close(): Promise<void>;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

/** The gateway's way: INSERT the message, NOTIFY its id, the listener SELECTs it. */
async function postgres(): Promise<Transport> {
  const sender = new pg.Client({ connectionString: databaseUrl });
  const listener = new pg.Client({ connectionString: databaseUrl });
  await Promise.all([sender.connect(), listener.connect()]);
  const table = `bench_relay_${process.pid}`;
  await sender.query(`CREATE UNLOGGED TABLE ${table} (id bigserial PRIMARY KEY, payload text NOT NULL)`);
  const waiting = new Map<string, () => void>();
  listener.on('notification', (note) => {
    void listener.query(`DELETE FROM ${table} WHERE id = $1 RETURNING payload`, [note.payload]).then(() => {
      waiting.get(note.payload!)?.();
      waiting.delete(note.payload!);
    });
  });
  await listener.query(`LISTEN ${table}`);
  return {
    name: 'PostgreSQL LISTEN/NOTIFY (stored message)',
    async send(payload) {
      const { rows } = await sender.query(`INSERT INTO ${table} (payload) VALUES ($1) RETURNING id`, [payload]);
      const id = String(rows[0].id);
      const arrived = new Promise<void>((resolve) => waiting.set(id, resolve));
      await sender.query(`SELECT pg_notify($1, $2)`, [table, id]);
      await arrived;
    },
    async close() {
      await sender.query(`DROP TABLE ${table}`);
      await Promise.all([sender.end(), listener.end()]);
    },
  };
}

/** A minimal RESP client (no dependency for a benchmark): commands out, replies and pushes in. */
function resp(socket: Socket, onMessage: (parts: string[]) => void): (args: string[]) => void {
  let buffer = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    // Replies we read: arrays of bulk strings (pub/sub pushes) and integers/simple strings (acks), fully buffered.
    for (;;) {
      const parsed = parse(buffer, 0);
      if (!parsed) break;
      buffer = buffer.slice(parsed.end);
      if (Array.isArray(parsed.value)) onMessage(parsed.value as string[]);
    }
  });
  return (args) =>
    socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
}

function parse(text: string, at: number): { value: unknown; end: number } | null {
  const line = text.indexOf('\r\n', at);
  if (line < 0) return null;
  const kind = text[at];
  const head = text.slice(at + 1, line);
  if (kind === '+' || kind === '-' || kind === ':') return { value: head, end: line + 2 };
  if (kind === '$') {
    const length = Number(head);
    if (length < 0) return { value: null, end: line + 2 };
    const start = line + 2;
    // Lengths are in bytes; the payloads here are ASCII, so bytes and characters agree.
    if (text.length < start + length + 2) return null;
    return { value: text.slice(start, start + length), end: start + length + 2 };
  }
  if (kind === '*') {
    const count = Number(head);
    const items: unknown[] = [];
    let end = line + 2;
    for (let i = 0; i < count; i++) {
      const item = parse(text, end);
      if (!item) return null;
      items.push(item.value);
      end = item.end;
    }
    return { value: items, end };
  }
  throw new Error(`unexpected RESP reply ${JSON.stringify(text.slice(at, at + 20))}`);
}

async function redis(): Promise<Transport> {
  const open = () =>
    new Promise<Socket>((resolve, reject) => {
      const socket = connect(Number(redisUrl.port || 6379), redisUrl.hostname, () => resolve(socket));
      socket.once('error', reject);
    });
  const [publisher, subscriber] = [await open(), await open()];
  const channel = `bench_relay_${process.pid}`;
  const waiting: Array<() => void> = [];
  let subscribed: () => void;
  const ready = new Promise<void>((resolve) => {
    subscribed = resolve;
  });
  const subscribe = resp(subscriber, (parts) => {
    if (parts[0] === 'subscribe') subscribed();
    if (parts[0] === 'message') waiting.shift()?.();
  });
  const publish = resp(publisher, () => {});
  subscribe(['SUBSCRIBE', channel]);
  await ready;
  return {
    name: 'Redis pub/sub',
    async send(payload) {
      const arrived = new Promise<void>((resolve) => waiting.push(resolve));
      publish(['PUBLISH', channel, payload]);
      await arrived;
    },
    async close() {
      publisher.end();
      subscriber.end();
    },
  };
}

async function measure(transport: Transport) {
  for (let i = 0; i < 100; i++) await transport.send(PAYLOAD); // warm-up
  const latencies: number[] = [];
  for (let i = 0; i < MESSAGES; i++) {
    const started = performance.now();
    await transport.send(PAYLOAD);
    latencies.push(performance.now() - started);
  }
  latencies.sort((a, b) => a - b);
  // Throughput: 32 senders at once (each waiting for its message to arrive), as many sessions posting together.
  const started = performance.now();
  let sent = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (sent < MESSAGES) {
        sent++;
        await transport.send(PAYLOAD);
      }
    }),
  );
  const perSecond = MESSAGES / ((performance.now() - started) / 1000);
  return { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), perSecond };
}

const pgTransport = await postgres();
const pgFigures = await measure(pgTransport);
await pgTransport.close();
let redisFigures: Awaited<ReturnType<typeof measure>> | null = null;
try {
  const redisTransport = await redis();
  redisFigures = await measure(redisTransport);
  await redisTransport.close();
} catch (error) {
  console.log(`Redis at ${redisUrl.host} not reachable (${(error as Error).message}): PostgreSQL figures only.`);
}

const row = (name: string, f: { p50: number; p99: number; perSecond: number }) =>
  `| ${name} | ${f.p50.toFixed(2)} | ${f.p99.toFixed(2)} | ${Math.round(f.perSecond).toLocaleString('en-US')} |`;
console.log(
  `\nRelay of one ${PAYLOAD.length}-character MCP message to the replica holding the stream, ${MESSAGES} messages:\n`,
);
console.log('| transport | p50 ms | p99 ms | messages/s (32 at once) |');
console.log('| --- | --- | --- | --- |');
console.log(row(pgTransport.name, pgFigures));
if (redisFigures) {
  console.log(row('Redis pub/sub', redisFigures));
  console.log(
    `| PostgreSQL ÷ Redis | ${(pgFigures.p50 / redisFigures.p50).toFixed(2)} | ${(pgFigures.p99 / redisFigures.p99).toFixed(2)} | ${(pgFigures.perSecond / redisFigures.perSecond).toFixed(2)} |`,
  );
}
