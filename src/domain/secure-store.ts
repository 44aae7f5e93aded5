/**
 * The store together with the keys that protect its tokens: open both, check that every key id used by stored tokens
 * is configured and decrypts a sample, and rotate tokens to the current key. Used by src/app.ts and the CLIs, with the
 * locations from the one configuration reader (src/config/env.ts).
 */
import path from 'node:path';
import type { Logger } from 'pino';
import { loadTokenCipher } from '../security/keys.ts';
import { DecryptionError, KeyConfigError, type TokenCipher } from '../security/token-cipher.ts';
import { openStore, type Store } from '../store/store.ts';

export interface StorageConfig {
  /** DATABASE_URL: PostgreSQL when set, embedded PGlite otherwise. */
  databaseUrl: string | null;
  /** DATA_DIR (default ./data): holds the PGlite directory and, in embedded mode, the generated key file. */
  dataDir: string;
  /** PGLITE_DATA_DIR (default <DATA_DIR>/pglite). */
  pgliteDir: string;
}

export interface OpenSecureStoreOptions extends Partial<StorageConfig> {
  /** TOKEN_ENCRYPTION_KEYS / TOKEN_ENCRYPTION_KEY from the configuration (none: the embedded key file). */
  env?: Record<string, string | undefined>;
  logger?: Logger;
  /** A ready cipher (tests); otherwise loaded from `env`. */
  cipher?: TokenCipher;
  /** Skip the startup key check (the rotate-keys CLI runs it itself). */
  verifyKeys?: boolean;
}

/**
 * Loads the key(s) first (so a missing key fails before any database work), opens and migrates the store, then
 * verifies that every key id used by stored tokens is configured and decrypts a sample.
 */
export async function openSecureStore(
  options: OpenSecureStoreOptions = {},
): Promise<{ store: Store; cipher: TokenCipher }> {
  const databaseUrl = options.databaseUrl ?? null;
  const dataDir = options.dataDir ?? './data';
  const pgliteDir = options.pgliteDir ?? path.join(dataDir, 'pglite');
  const cipher = options.cipher ?? loadTokenCipher({ env: options.env, databaseUrl, dataDir, logger: options.logger });
  const store = await openStore({ databaseUrl, dataDir: pgliteDir, logger: options.logger });
  if (options.verifyKeys !== false) {
    try {
      await verifyStoredKeys(store, cipher);
    } catch (e) {
      await store.close();
      throw e;
    }
  }
  return { store, cipher };
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
