import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rotateKeys, verifyStoredKeys } from '../../src/domain/secure-store.ts';
import { KEY_FILE_NAME, loadTokenCipher } from '../../src/security/keys.ts';
import { KeyConfigError, parseKeyring, TokenCipher } from '../../src/security/token-cipher.ts';
import { openTestStore, type TestStore } from '../support/db.ts';

const key = () => randomBytes(32).toString('base64');

const captureLogger = () => {
  const lines: string[] = [];
  const logger = pino({ level: 'trace' }, { write: (s: string) => lines.push(s) });
  return { logger, lines };
};

describe('loadTokenCipher', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'ng-keys-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads TOKEN_ENCRYPTION_KEYS (first encrypts) and TOKEN_ENCRYPTION_KEY', () => {
    const c = loadTokenCipher({ env: { TOKEN_ENCRYPTION_KEYS: `new:${key()},old:${key()}` }, dataDir: dir });
    expect(c.currentKeyId).toBe('new');
    expect(c.keyIds).toEqual(['new', 'old']);
    expect(loadTokenCipher({ env: { TOKEN_ENCRYPTION_KEY: key() }, dataDir: dir }).currentKeyId).toBe('default');
    expect(loadTokenCipher({ env: { TOKEN_ENCRYPTION_KEY: `one:${key()}` }, dataDir: dir }).currentKeyId).toBe('one');
  });

  it('refuses both variables at once, and malformed keys, naming the variable', () => {
    expect(() =>
      loadTokenCipher({ env: { TOKEN_ENCRYPTION_KEYS: `a:${key()}`, TOKEN_ENCRYPTION_KEY: key() }, dataDir: dir }),
    ).toThrow(/not both/);
    expect(() => loadTokenCipher({ env: { TOKEN_ENCRYPTION_KEYS: 'k1:abc' }, dataDir: dir })).toThrow(
      /TOKEN_ENCRYPTION_KEYS entry #1 \(key id 'k1'\): key must decode to 32 bytes/,
    );
  });

  it('refuses to start with a database URL and no key, saying which variable to set', () => {
    expect(() => loadTokenCipher({ env: {}, databaseUrl: 'postgres://x@y/z', dataDir: dir })).toThrow(
      /TOKEN_ENCRYPTION_KEYS \(or TOKEN_ENCRYPTION_KEY\) must be set when DATABASE_URL is used/,
    );
  });

  it('generates a 0600 key file in embedded mode, logs it once, and reuses it', () => {
    const { logger, lines } = captureLogger();
    const first = loadTokenCipher({ env: {}, dataDir: dir, logger });
    const file = path.join(dir, KEY_FILE_NAME);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(lines.join('')).toMatch(/generated a token encryption key/);
    const content = readFileSync(file, 'utf8');
    expect(lines.join('')).not.toContain(content.trim().split(':')[1]);
    const second = loadTokenCipher({ env: {}, dataDir: dir, logger });
    expect(second.currentKeyId).toBe(first.currentKeyId);
    const enc = first.encrypt('tok', 'c1');
    expect(second.decrypt(enc, 'c1')).toBe('tok');
  });
});

describe('stored keys: startup check and rotation', () => {
  let store: TestStore;
  const k1 = key();
  const k2 = key();
  const tokens = ['secret_tok_alpha', 'secret_tok_beta', 'secret_tok_gamma'];
  const refresh = 'secret_refresh_beta';
  beforeAll(async () => {
    store = await openTestStore();
    const c1 = new TokenCipher(parseKeyring(`k1:${k1}`));
    for (const [i, t] of tokens.entries()) {
      const id = crypto.randomUUID();
      await store.connections.insert({
        id,
        kind: i === 1 ? 'oauth' : 'internal',
        owner: 'operator',
        workspace_id: `ws-${i}`,
        workspace_name: `W${i}`,
        workspace_icon: null,
        bot_id: `bot-${i}`,
        access_token_enc: c1.encrypt(t, id, 'access_token'),
        refresh_token_enc: i === 1 ? c1.encrypt(refresh, id, 'refresh_token') : null,
        token_expires_at: null,
        key_id: 'k1',
      });
    }
  });
  afterAll(async () => {
    await store?.close();
  });

  it('passes with the right key', async () => {
    expect(await verifyStoredKeys(store, new TokenCipher(parseKeyring(`k1:${k1}`)))).toEqual([
      { keyId: 'k1', rows: 3 },
    ]);
  });

  it('fails clearly when a key id in use is not configured', async () => {
    const err = await verifyStoredKeys(store, new TokenCipher(parseKeyring(`k2:${k2}`))).catch((e) => e);
    expect(err).toBeInstanceOf(KeyConfigError);
    expect(err.message).toMatch(/key id 'k1' \(3 connections\) which is not configured/);
    expect(err.message).not.toContain(k1);
  });

  it('fails clearly when the key material for a key id is wrong', async () => {
    const err = await verifyStoredKeys(store, new TokenCipher(parseKeyring(`k1:${k2}`))).catch((e) => e);
    expect(err).toBeInstanceOf(KeyConfigError);
    expect(err.message).toMatch(/key id 'k1' does not decrypt the stored tokens/);
  });

  it('re-encrypts every row under the new key; the old key can then be removed', async () => {
    const both = new TokenCipher(parseKeyring(`k2:${k2},k1:${k1}`));
    const result = await rotateKeys(store, both);
    expect(result).toEqual({ reencrypted: 3, unchanged: 0, currentKeyId: 'k2' });
    expect(await store.connections.keyIdsInUse()).toEqual([{ key_id: 'k2', rows: 3 }]);
    // Second run: nothing left to do.
    expect((await rotateKeys(store, both)).reencrypted).toBe(0);

    const onlyNew = new TokenCipher(parseKeyring(`k2:${k2}`));
    await verifyStoredKeys(store, onlyNew);
    const rows = await store.connections.listAll();
    expect(rows.map((r) => onlyNew.decrypt(r.access_token_enc, r.id)).sort()).toEqual([...tokens].sort());
    const withRefresh = rows.find((r) => r.refresh_token_enc);
    expect(onlyNew.decrypt(withRefresh!.refresh_token_enc!, withRefresh!.id, 'refresh_token')).toBe(refresh);
    expect(rows.every((r) => r.access_token_enc.startsWith('v1:k2:'))).toBe(true);
  });
});
