import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/env.ts';
import { openSecureStore } from '../../src/domain/secure-store.ts';
import { KEY_FILE_NAME } from '../../src/security/keys.ts';
import { KeyConfigError, type TokenCipher } from '../../src/security/token-cipher.ts';
import { openStore, type Store } from '../../src/store/store.ts';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');

const addRow = async (store: Store, cipher: TokenCipher, token: string, ws: string) => {
  const id = randomUUID();
  await store.connections.insert({
    id,
    kind: 'internal',
    owner: 'operator',
    workspace_id: ws,
    workspace_name: ws,
    workspace_icon: null,
    bot_id: `bot-${ws}`,
    access_token_enc: cipher.encrypt(token, id),
    refresh_token_enc: null,
    token_expires_at: null,
    key_id: cipher.currentKeyId,
  });
  return id;
};

describe('storage bootstrap (embedded PGlite)', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'ng-boot-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('reads DATABASE_URL, DATA_DIR and PGLITE_DATA_DIR through the one configuration reader', () => {
    const defaults = loadConfig({});
    expect([defaults.databaseUrl, defaults.dataDir, defaults.pgliteDir]).toEqual([
      null,
      './data',
      path.join('data', 'pglite'),
    ]);
    const set = loadConfig({ DATA_DIR: '/d', DATABASE_URL: 'postgres://x/y' });
    expect([set.databaseUrl, set.dataDir, set.pgliteDir]).toEqual(['postgres://x/y', '/d', '/d/pglite']);
  });

  it('refuses a database URL without a key before touching the database', async () => {
    await expect(openSecureStore({ databaseUrl: 'postgres://nobody@127.0.0.1:1/x', env: {} })).rejects.toThrow(
      /TOKEN_ENCRYPTION_KEYS \(or TOKEN_ENCRYPTION_KEY\) must be set/,
    );
  });

  it('first start generates the key file; a restart keeps connections and decrypts them', async () => {
    const first = await openSecureStore({ dataDir, env: {} });
    expect(first.store.driver).toBe('pglite');
    expect(first.store.location).toBe(path.join(dataDir, 'pglite'));
    const keyFile = path.join(dataDir, KEY_FILE_NAME);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const id = await addRow(first.store, first.cipher, 'secret_restart_token', 'ws-restart');
    await first.store.close();

    const second = await openSecureStore({ dataDir, env: {} });
    const rows = await second.store.connections.listLive('operator');
    expect(rows.map((r) => r.id)).toEqual([id]);
    expect(second.cipher.decrypt(rows[0]!.access_token_enc, id)).toBe('secret_restart_token');
    await second.store.close();

    // Losing the key file: a new key is generated, and the startup check says the stored tokens don't decrypt.
    rmSync(keyFile);
    const err = await openSecureStore({ dataDir, env: {} }).catch((e) => e);
    expect(err).toBeInstanceOf(KeyConfigError);
    expect(err.message).toMatch(/key id '[^']+' does not decrypt the stored tokens|is not configured/);
    expect(existsSync(keyFile)).toBe(true);
  });

  it('locks the PGlite directory against a second opener; a stale lock is taken over', async () => {
    const dir = path.join(dataDir, 'locked');
    const a = await openStore({ dataDir: dir });
    await expect(openStore({ dataDir: dir })).rejects.toThrow(/in use by process \d+ \(this process\)/);
    await a.close();
    expect(existsSync(`${dir}.lock`)).toBe(false);
    writeFileSync(`${dir}.lock`, '2147483646\n'); // no such process
    const b = await openStore({ dataDir: dir });
    await b.close();
  });

  it('npm run rotate-keys re-encrypts under the new key; the old key can then be dropped', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ng-rotate-'));
    try {
      const k1 = `k1:${randomBytes(32).toString('base64')}`;
      const k2 = `k2:${randomBytes(32).toString('base64')}`;
      const a = await openSecureStore({ dataDir: dir, env: { TOKEN_ENCRYPTION_KEYS: k1 } });
      await addRow(a.store, a.cipher, 'secret_one', 'ws1');
      await addRow(a.store, a.cipher, 'secret_two', 'ws2');
      await a.store.close();

      const env = { ...process.env, DATA_DIR: dir, DATABASE_URL: '', TOKEN_ENCRYPTION_KEYS: `${k2},${k1}` };
      const { stdout } = await run(process.execPath, [path.join(root, 'tools/cli/rotate-keys.ts')], { env, cwd: root });
      expect(stdout).toMatch(/re-encrypted 2 row\(s\) under key id 'k2' \(0 already current\)/);
      expect(stdout).not.toContain(k1.slice(3));
      expect(stdout).not.toContain(k2.slice(3));

      const b = await openSecureStore({ dataDir: dir, env: { TOKEN_ENCRYPTION_KEYS: k2 } });
      const rows = await b.store.connections.listLive();
      expect(rows.map((r) => b.cipher.decrypt(r.access_token_enc, r.id)).sort()).toEqual(['secret_one', 'secret_two']);
      await b.store.close();

      const err = await openSecureStore({ dataDir: dir, env: { TOKEN_ENCRYPTION_KEYS: k1 } }).catch((e) => e);
      expect(err).toBeInstanceOf(KeyConfigError);
      expect(err.message).toMatch(/key id 'k2' \(2 connections\) which is not configured/);

      // The CLI itself fails clearly (non-zero) with a missing key id.
      const failed = await run(process.execPath, [path.join(root, 'tools/cli/rotate-keys.ts')], {
        env: { ...env, TOKEN_ENCRYPTION_KEYS: k1 },
        cwd: root,
      }).catch((e) => e);
      expect(failed.code).toBe(1);
      expect(failed.stderr).toMatch(/rotate-keys failed: .*key id 'k2'/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
