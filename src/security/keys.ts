/**
 * Where the token keys come from at startup, and the checks that stored rows match them.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Store } from '../store/store.ts';
import { DecryptionError, generateKeySpec, KeyConfigError, parseKeyring, TokenCipher } from './token-cipher.ts';

export const KEY_FILE_NAME = 'token-encryption.key';

export interface KeySourceOptions {
  /** Usually process.env: TOKEN_ENCRYPTION_KEYS / TOKEN_ENCRYPTION_KEY are read from it. */
  env?: Record<string, string | undefined>;
  /** When set (PostgreSQL), a key must be configured: no key file is generated. */
  databaseUrl?: string | null;
  /** Embedded data directory: the generated dev key lives at `<dataDir>/token-encryption.key` (0600). */
  dataDir?: string;
  logger?: Logger;
}

/**
 * TOKEN_ENCRYPTION_KEYS → TOKEN_ENCRYPTION_KEY → (embedded only) `<dataDir>/token-encryption.key`, generated on
 * first start. With a database URL and no key configured it refuses to start.
 */
export function loadTokenCipher(options: KeySourceOptions = {}): TokenCipher {
  const env = options.env ?? process.env;
  const many = env.TOKEN_ENCRYPTION_KEYS?.trim();
  const one = env.TOKEN_ENCRYPTION_KEY?.trim();
  if (many && one) {
    throw new KeyConfigError('set TOKEN_ENCRYPTION_KEYS or TOKEN_ENCRYPTION_KEY, not both');
  }
  if (many) return new TokenCipher(parseKeyring(many, 'TOKEN_ENCRYPTION_KEYS'));
  if (one) return new TokenCipher(parseKeyring(one, 'TOKEN_ENCRYPTION_KEY', true));

  if (options.databaseUrl?.trim()) {
    throw new KeyConfigError(
      'TOKEN_ENCRYPTION_KEYS (or TOKEN_ENCRYPTION_KEY) must be set when DATABASE_URL is used: generate one with `openssl rand -base64 32` and set TOKEN_ENCRYPTION_KEYS=k1:<that value>',
    );
  }
  const dataDir = options.dataDir ?? './data/pglite';
  if (dataDir.startsWith('memory:')) {
    options.logger?.warn(
      { component: 'security' },
      'no TOKEN_ENCRYPTION_KEYS and an in-memory store: using an ephemeral token encryption key',
    );
    return new TokenCipher(parseKeyring(generateKeySpec('ephemeral')));
  }
  const file = path.join(path.resolve(dataDir), KEY_FILE_NAME);
  if (existsSync(file)) {
    const mode = statSync(file).mode & 0o777;
    if (mode & 0o077) {
      options.logger?.warn({ component: 'security', file, mode: mode.toString(8) }, 'key file is readable by others');
    }
    return new TokenCipher(parseKeyring(readFileSync(file, 'utf8').trim(), file));
  }
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const spec = generateKeySpec(`local-${new Date().toISOString().slice(0, 10).replaceAll('-', '')}`);
  try {
    writeFileSync(file, `${spec}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
  } catch (e) {
    // Another process won the race: use its key.
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      return new TokenCipher(parseKeyring(readFileSync(file, 'utf8').trim(), file));
    }
    throw e;
  }
  options.logger?.warn(
    { component: 'security', file },
    'no TOKEN_ENCRYPTION_KEYS configured: generated a token encryption key for the embedded store (keep this file; set TOKEN_ENCRYPTION_KEYS in production)',
  );
  return new TokenCipher(parseKeyring(spec, file));
}

/**
 * Startup check: every key id used by stored tokens is configured, and decrypts a sample row. Throws a
 * KeyConfigError naming the key id (never the key) otherwise.
 */
export async function verifyStoredKeys(store: Store, cipher: TokenCipher): Promise<{ keyId: string; rows: number }[]> {
  const inUse = await store.connections.keyIdsInUse();
  const missing = inUse.filter((k) => !cipher.hasKey(k.key_id));
  if (missing.length > 0) {
    const list = missing.map((k) => `'${k.key_id}' (${k.rows} connection${k.rows === 1 ? '' : 's'})`).join(', ');
    throw new KeyConfigError(
      `stored tokens are encrypted with key id ${list} which is not configured: add it to TOKEN_ENCRYPTION_KEYS`,
      missing[0]!.key_id,
    );
  }
  for (const k of inUse) {
    const [sample] = await store.query<{ id: string; access_token_enc: string }>(
      `select "id", "access_token_enc" from "connections" where "key_id" = ? and "access_token_enc" <> '' order by "created_at" limit 1`,
      [k.key_id],
    );
    if (!sample) continue;
    try {
      cipher.decrypt(sample.access_token_enc, sample.id, 'access_token');
    } catch (e) {
      if (e instanceof DecryptionError) {
        throw new KeyConfigError(
          `token encryption key id '${k.key_id}' does not decrypt the stored tokens: the configured key material for that id is wrong`,
          k.key_id,
        );
      }
      throw e;
    }
  }
  return inUse.map((k) => ({ keyId: k.key_id, rows: k.rows }));
}

export interface RotationResult {
  /** Rows whose ciphertexts were re-encrypted under the current key. */
  reencrypted: number;
  /** Rows already under the current key. */
  unchanged: number;
  currentKeyId: string;
}

/** Re-encrypts every stored token (live rows; deleted rows hold none) under the cipher's current key id. */
export async function rotateKeys(store: Store, cipher: TokenCipher, logger?: Logger): Promise<RotationResult> {
  const rows = await store.connections.listAll();
  let reencrypted = 0;
  let unchanged = 0;
  for (const row of rows) {
    if (!row.access_token_enc) continue;
    const refreshKid = row.refresh_token_enc ? cipher.keyIdOf(row.refresh_token_enc) : cipher.currentKeyId;
    if (cipher.keyIdOf(row.access_token_enc) === cipher.currentKeyId && refreshKid === cipher.currentKeyId) {
      unchanged++;
      continue;
    }
    const access = cipher.decrypt(row.access_token_enc, row.id, 'access_token');
    const refresh = row.refresh_token_enc ? cipher.decrypt(row.refresh_token_enc, row.id, 'refresh_token') : null;
    const won = await store.connections.updateIfToken(row.id, row.access_token_enc, {
      access_token_enc: cipher.encrypt(access, row.id, 'access_token'),
      refresh_token_enc: refresh === null ? null : cipher.encrypt(refresh, row.id, 'refresh_token'),
      key_id: cipher.currentKeyId,
    });
    if (won) reencrypted++;
    else {
      // The row changed under us (a refresh stored a new pair, written with the current key already).
      unchanged++;
    }
  }
  logger?.info({ component: 'security', reencrypted, unchanged, keyId: cipher.currentKeyId }, 'token keys rotated');
  return { reencrypted, unchanged, currentKeyId: cipher.currentKeyId };
}
