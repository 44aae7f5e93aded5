/**
 * Starts the real gateway (same composition as `npm start`) on an ephemeral port, with its logs captured so tests can
 * assert what was (and was never) logged.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createGateway, type Gateway } from '../../src/app.ts';
import { loadConfig } from '../../src/config/env.ts';
import { createLogger } from '../../src/shared/logging.ts';
import { createTestDatabase, testDatabaseUrl } from './db.ts';

export const API_TOKEN = 'test-action-token-0123456789';

export interface RunningGateway {
  url: string;
  gateway: Gateway;
  logs: string[];
  close(): Promise<void>;
}

/** A fixed test key: 32 bytes, base64. */
export const TEST_ENCRYPTION_KEYS = `test:${Buffer.alloc(32, 7).toString('base64')}`;

/**
 * The gateway on PGlite in memory by default; on a fresh database of the TEST_DATABASE_URL server under
 * `npm run test:pg` (dropped on close). `env` overrides anything.
 */
export async function startGateway(env: Record<string, string> = {}): Promise<RunningGateway> {
  const serverUrl = testDatabaseUrl();
  const database = serverUrl && env.DATABASE_URL === undefined ? await createTestDatabase(serverUrl) : null;
  const dataDir = mkdtempSync(join(tmpdir(), 'ng-gateway-'));
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  const config = loadConfig({
    ACTION_API_TOKEN: API_TOKEN,
    LOG_LEVEL: 'debug',
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    PGLITE_DATA_DIR: 'memory://',
    TOKEN_ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS,
    // Tests pace their Notion calls only where pacing is what they test.
    NOTION_RATE_LIMIT_PER_MINUTE: '1000000',
    NOTION_RATE_BURST: '1000',
    // Some tests close the gateway under a request they left stalled on purpose: do not wait 10 s for it.
    SHUTDOWN_GRACE_MS: '1000',
    ...(database ? { DATABASE_URL: database.databaseUrl } : {}),
    ...env,
  });
  const gateway = await createGateway(config, createLogger(config.logLevel, sink));
  const { url } = await gateway.listen(config.port, '127.0.0.1');
  return {
    url,
    gateway,
    logs,
    async close() {
      await gateway.close();
      await database?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * `count` gateways on one throw-away PostgreSQL database, as that many processes would be (each its own pools and
 * queue client); `close()` stops them all and drops the database.
 */
export async function startGatewaysOnOneDatabase(
  serverUrl: string,
  count: number,
  env: Record<string, string>,
): Promise<{ gateways: RunningGateway[]; close(): Promise<void> }> {
  const database = await createTestDatabase(serverUrl);
  const gateways: RunningGateway[] = [];
  const close = async () => {
    for (const g of gateways) await g.close();
    await database.drop();
  };
  try {
    for (let i = 0; i < count; i++) gateways.push(await startGateway({ ...env, DATABASE_URL: database.databaseUrl }));
  } catch (error) {
    await close();
    throw error;
  }
  return { gateways, close };
}

/** fetch with the operator token and a JSON body. */
export function api(baseUrl: string, token: string | null = API_TOKEN) {
  return async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let json: Record<string, any> | null = null;
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
    return { status: res.status, headers: res.headers, json: json as Record<string, any>, text };
  };
}
