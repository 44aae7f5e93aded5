/**
 * The operator's API token (ACTION_API_TOKEN). On the embedded default a newcomer has none yet, so one is generated
 * into <DATA_DIR>/action-api-token (0600) and its path logged, never its value. With DATABASE_URL (a deployment)
 * the token must be configured.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { type Config, ConfigError } from './env.ts';

export const API_TOKEN_FILE = 'action-api-token';

/** Why the configuration has no usable API token (checked with everything else before the start), or null. */
export function apiTokenProblem(config: Pick<Config, 'actionApiToken' | 'databaseUrl'>): string | null {
  return !config.actionApiToken && config.databaseUrl
    ? 'ACTION_API_TOKEN must be set when DATABASE_URL is used (generate one with `openssl rand -hex 32`)'
    : null;
}

export function resolveApiToken(config: Config, logger: Logger): string {
  if (config.actionApiToken) return config.actionApiToken;
  const problem = apiTokenProblem(config);
  if (problem) throw new ConfigError([problem]);
  const file = resolve(join(config.dataDir, API_TOKEN_FILE));
  if (existsSync(file)) {
    logger.info({ file }, 'using the API token stored in the data directory (set ACTION_API_TOKEN to choose one)');
    return readFileSync(file, 'utf8').trim();
  }
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const token = randomBytes(32).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  logger.warn({ file }, 'ACTION_API_TOKEN is not set: generated an API token into the data directory');
  return token;
}
