/**
 * Startup wiring for storage: where the data lives (from the environment), the store, the token cipher and the
 * check that stored tokens can be decrypted with the configured keys. Used by src/app.ts and the CLIs.
 */
import path from 'node:path';
import type { Logger } from 'pino';
import { loadTokenCipher, verifyStoredKeys } from '../security/keys.ts';
import type { TokenCipher } from '../security/token-cipher.ts';
import { openStore, type Store } from './store.ts';

export interface StorageConfig {
  /** DATABASE_URL: PostgreSQL when set, embedded PGlite otherwise. */
  databaseUrl: string | null;
  /** DATA_DIR (default ./data): holds the PGlite directory and, in embedded mode, the generated key file. */
  dataDir: string;
  /** PGLITE_DATA_DIR (default <DATA_DIR>/pglite). */
  pgliteDir: string;
}

export function storageConfigFromEnv(env: Record<string, string | undefined> = process.env): StorageConfig {
  const dataDir = env.DATA_DIR?.trim() || './data';
  return {
    databaseUrl: env.DATABASE_URL?.trim() || null,
    dataDir,
    pgliteDir: env.PGLITE_DATA_DIR?.trim() || path.join(dataDir, 'pglite'),
  };
}

export interface OpenSecureStoreOptions extends Partial<StorageConfig> {
  /** Source of TOKEN_ENCRYPTION_KEYS / TOKEN_ENCRYPTION_KEY (process.env by default). */
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
  const fromEnv = storageConfigFromEnv(options.env);
  const databaseUrl = options.databaseUrl === undefined ? fromEnv.databaseUrl : options.databaseUrl;
  const dataDir = options.dataDir ?? fromEnv.dataDir;
  const pgliteDir = options.pgliteDir ?? (options.dataDir ? path.join(options.dataDir, 'pglite') : fromEnv.pgliteDir);
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
