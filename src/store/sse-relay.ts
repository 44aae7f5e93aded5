/**
 * Legacy SSE across replicas on one PostgreSQL. A legacy SSE session is a stream held open by one process, while a
 * balancer without affinity may send its `POST /messages` to any other. Each process records the sessions it holds
 * (`mcp_sse_session`, refreshed by a heartbeat so a killed process's sessions age out); a process that receives a
 * message for a session held elsewhere stores it (`mcp_sse_message`, no size limit, unlike a NOTIFY payload) and
 * NOTIFYs the holder's channel. The holder LISTENs, reads and deletes its messages in order and delivers them on the
 * stream. PostgreSQL's LISTEN/NOTIFY was chosen over Redis pub/sub: it is the database the replicas already share, so
 * a replica set needs no other server (README, "Run several replicas", gives the measurement).
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Logger } from 'pino';

/** What a forwarding process checks against its caller before relaying anything. */
export interface SseBinding {
  /** false: opened under MCP_AUTH=none, reachable by its id alone. */
  bound: boolean;
  principalId: string | null;
  grantId: string | null;
}

/** `incoming`: a client message for the session's server; `outgoing`: an answer to write on the stream as is. */
export type RelayedKind = 'incoming' | 'outgoing';

export type RelayDelivery = (sessionId: string, kind: RelayedKind, message: unknown) => void;

export interface SseRelay {
  opened(sessionId: string, binding: SseBinding): Promise<void>;
  closed(sessionId: string): Promise<void>;
  /** The binding of a session a live process holds, or undefined when none does. */
  binding(sessionId: string): Promise<SseBinding | undefined>;
  forward(sessionId: string, kind: RelayedKind, message: unknown): Promise<void>;
  close(): Promise<void>;
}

export interface SseRelayOptions {
  /** How often a process marks its sessions alive; a session unseen for three beats is held by nobody. */
  heartbeatMs?: number;
}

const CHANNEL_PREFIX = 'mcp_sse_';
/** Messages nobody picked up (their holder died between the lookup and the NOTIFY) are dropped after this. */
const ORPHAN_MESSAGE_MINUTES = 5;

export async function openSseRelay(
  databaseUrl: string,
  deliver: RelayDelivery,
  logger: Logger,
  options: SseRelayOptions = {},
): Promise<SseRelay> {
  const heartbeatMs = options.heartbeatMs ?? 20_000;
  const replicaId = randomUUID();
  // LISTEN channels are identifiers: the replica id without dashes keeps it one.
  const channel = `${CHANNEL_PREFIX}${replicaId.replaceAll('-', '')}`;
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 3 });
  pool.on('error', (error) => logger.warn({ err: error }, 'sse relay: database connection lost'));
  const held = new Set<string>();
  let closing = false;
  let listener: pg.Client | null = null;

  /** Reads and deletes the session's waiting messages, oldest first, and hands them to the stream. */
  const drain = async (sessionId: string) => {
    if (!held.has(sessionId)) return;
    const { rows } = await pool.query<{ kind: RelayedKind; body: unknown }>(
      `with taken as (delete from mcp_sse_message where session_id = $1 returning id, kind, body)
       select kind, body from taken order by id`,
      [sessionId],
    );
    for (const row of rows) deliver(sessionId, row.kind, row.body);
  };
  const drainSafely = (sessionId: string) =>
    drain(sessionId).catch((error: unknown) =>
      logger.warn({ err: error, sse_session: sessionId }, 'sse relay: drain failed'),
    );

  const listen = async () => {
    const client = new pg.Client({ connectionString: databaseUrl });
    client.on('notification', (note) => {
      if (note.channel === channel && note.payload) void drainSafely(note.payload);
    });
    client.on('error', (error) => {
      logger.warn({ err: error }, 'sse relay: listening connection lost; reconnecting');
      listener = null;
      void client.end().catch(() => {});
      if (!closing) setTimeout(() => void reconnect(), 1_000).unref();
    });
    await client.connect();
    await client.query(`listen ${channel}`);
    listener = client;
    // Whatever arrived while this process was not listening.
    for (const sessionId of held) void drainSafely(sessionId);
  };
  const reconnect = () =>
    listen().catch((error: unknown) => {
      logger.warn({ err: error }, 'sse relay: cannot listen yet; retrying');
      if (!closing) setTimeout(() => void reconnect(), 2_000).unref();
    });
  await listen();

  const beat = async () => {
    await pool.query(`update mcp_sse_session set seen_at = now() where replica_id = $1`, [replicaId]);
    await pool.query(`delete from mcp_sse_message where created_at < now() - make_interval(mins => $1)`, [
      ORPHAN_MESSAGE_MINUTES,
    ]);
    await pool.query(`delete from mcp_sse_session where seen_at < now() - make_interval(secs => $1)`, [
      (heartbeatMs * 10) / 1000,
    ]);
  };
  const heartbeat = setInterval(
    () => void beat().catch((error: unknown) => logger.warn({ err: error }, 'sse relay: heartbeat failed')),
    heartbeatMs,
  );
  heartbeat.unref();

  return {
    async opened(sessionId, binding) {
      held.add(sessionId);
      await pool.query(
        `insert into mcp_sse_session (session_id, replica_id, bound, principal_id, grant_id) values ($1, $2, $3, $4, $5)`,
        [sessionId, replicaId, binding.bound, binding.principalId, binding.grantId],
      );
    },
    async closed(sessionId) {
      held.delete(sessionId);
      await pool.query(`delete from mcp_sse_session where session_id = $1`, [sessionId]);
      await pool.query(`delete from mcp_sse_message where session_id = $1`, [sessionId]);
    },
    async binding(sessionId) {
      const { rows } = await pool.query<{ bound: boolean; principal_id: string | null; grant_id: string | null }>(
        `select bound, principal_id, grant_id from mcp_sse_session
         where session_id = $1 and seen_at > now() - make_interval(secs => $2)`,
        [sessionId, (heartbeatMs * 3) / 1000],
      );
      const row = rows[0];
      return row ? { bound: row.bound, principalId: row.principal_id, grantId: row.grant_id } : undefined;
    },
    async forward(sessionId, kind, message) {
      // One statement: the message is stored before its holder is told, so a drain never misses it.
      await pool.query(
        `with stored as (insert into mcp_sse_message (session_id, kind, body) values ($1, $2, $3) returning session_id)
         select pg_notify('${CHANNEL_PREFIX}' || replace(s.replica_id::text, '-', ''), $1::text)
         from mcp_sse_session s join stored on stored.session_id = s.session_id`,
        [sessionId, kind, JSON.stringify(message)],
      );
    },
    async close() {
      if (closing) return;
      closing = true;
      clearInterval(heartbeat);
      held.clear();
      await pool.query(`delete from mcp_sse_session where replica_id = $1`, [replicaId]).catch(() => {});
      await listener?.end().catch(() => {});
      await pool.end();
    },
  };
}
