/**
 * Where the token keys come from at startup: the configuration, or a key file generated into the data directory
 * (embedded only). Checking stored rows against them is src/domain/secure-store.ts's.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { generateKeySpec, KeyConfigError, parseKeyring, TokenCipher } from './token-cipher.ts';

export const KEY_FILE_NAME = 'token-encryption.key';

export interface KeySourceOptions {
  /** TOKEN_ENCRYPTION_KEYS / TOKEN_ENCRYPTION_KEY as the configuration reader (src/config/env.ts) found them. */
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
  const env = options.env ?? {};
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
