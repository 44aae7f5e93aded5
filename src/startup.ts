/**
 * What `npm start` checks and says around the start (used by src/main.ts):
 * - every configuration problem at once, in one wording (src/config/problems.ts), before anything is opened: the
 *   schema of each variable and the rules between them (token and keys required with DATABASE_URL, key syntax,
 *   return origins, OAUTH=on with PUBLIC_BASE_URL and Notion OAuth);
 * - the start summary: where the API token and the encryption keys are, whether a Notion connection exists, and the
 *   one command that adds one.
 */
import { isAbsolute, join, relative, resolve } from 'node:path';
import { API_TOKEN_FILE, apiTokenProblem } from './config/api-token.ts';
import { type Config, ConfigError, loadConfig } from './config/env.ts';
import { KEY_FILE_NAME, loadTokenCipher } from './security/keys.ts';
import { KeyConfigError } from './security/token-cipher.ts';

/** The configuration, or a ConfigError listing every problem found (never a value). */
export function checkConfiguration(env: Record<string, string | undefined> = process.env): Config {
  const problems: string[] = [];
  let config: Config | null = null;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  // The rules between variables read the raw values, so they are checked even when the schema already failed.
  const set = (name: string) => env[name]?.trim() || null;
  const databaseUrl = set('DATABASE_URL');
  const tokenProblem = apiTokenProblem({ actionApiToken: set('ACTION_API_TOKEN'), databaseUrl });
  if (tokenProblem) problems.push(tokenProblem);
  try {
    // An in-memory data directory: the check parses the keys and never writes a key file.
    loadTokenCipher({
      env: {
        TOKEN_ENCRYPTION_KEYS: set('TOKEN_ENCRYPTION_KEYS') ?? '',
        TOKEN_ENCRYPTION_KEY: set('TOKEN_ENCRYPTION_KEY') ?? '',
      },
      databaseUrl,
      dataDir: 'memory://',
    });
  } catch (error) {
    if (!(error instanceof KeyConfigError)) throw error;
    problems.push(error.message);
  }
  const origins = (set('OAUTH_RETURN_ORIGINS') ?? '').split(',').map((o) => o.trim());
  origins.forEach((origin, i) => {
    if (origin === '') return;
    const url = URL.canParse(origin) ? new URL(origin) : null;
    if (!url || !['http:', 'https:'].includes(url.protocol)) {
      problems.push(`OAUTH_RETURN_ORIGINS entry #${i + 1} must be an http(s) origin, like https://chatgpt.com`);
    }
  });
  if (set('OAUTH') === 'on') {
    // The authorization server's issuer is the public URL. Its sign-in is the operator's (ACTION_API_TOKEN or
    // OPERATOR_PASSWORD), plus Notion OAuth for anyone when a public integration is configured: all three or none.
    if (!set('PUBLIC_BASE_URL')) problems.push('PUBLIC_BASE_URL is required with OAUTH=on (it is the issuer)');
    const notion = ['NOTION_OAUTH_CLIENT_ID', 'NOTION_OAUTH_CLIENT_SECRET', 'NOTION_OAUTH_REDIRECT_URI'];
    if (notion.some(set)) {
      for (const name of notion) {
        if (!set(name)) problems.push(`${name} is required with the other NOTION_OAUTH_* (Notion sign-in)`);
      }
    }
  }
  if (problems.length > 0 || !config) throw new ConfigError(problems);
  return config;
}

/** A path as the operator would type it: relative to the working directory when inside it. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

const shellQuote = (s: string) => (/^[\w./:@-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`);

export interface StartSummary {
  msg: string;
  fields: Record<string, string | number>;
}

/** The start log line: where things are and what to do next. Never a token or a key, only where they live. */
export function startSummary(config: Config, url: string, connections: number): StartSummary {
  const tokenFile = resolve(join(config.dataDir, API_TOKEN_FILE));
  const apiToken = config.actionApiToken ? 'ACTION_API_TOKEN (environment)' : shown(tokenFile);
  const bearer = config.actionApiToken ? '$ACTION_API_TOKEN' : `$(cat ${shellQuote(shown(tokenFile))})`;
  const keys = config.tokenEncryption.keys
    ? 'TOKEN_ENCRYPTION_KEYS (environment)'
    : config.tokenEncryption.key
      ? 'TOKEN_ENCRYPTION_KEY (environment)'
      : config.dataDir.startsWith('memory:')
        ? 'ephemeral (in memory; stored tokens will not survive a restart)'
        : shown(join(resolve(config.dataDir), KEY_FILE_NAME));
  const fields: Record<string, string | number> = {
    url,
    openapi: `${url}/openapi.json`,
    mcp: `${url}/mcp`,
    sse: `${url}/sse`,
    api_token: apiToken,
    encryption_keys: keys,
    storage: config.databaseUrl
      ? 'PostgreSQL (DATABASE_URL)'
      : config.pgliteDir.startsWith('memory:')
        ? 'PGlite in memory'
        : `PGlite at ${shown(resolve(config.pgliteDir))}`,
    notion_connections: connections,
  };
  if (connections === 0) {
    fields.add_connection = `curl -X POST ${url}/v1/connections -H "Authorization: Bearer ${bearer}" -H 'Content-Type: application/json' -d '{"token":"ntn_…"}'`;
  }
  const msg =
    connections === 0
      ? 'Notion Gateway is listening. No Notion connection yet: add one with the add_connection command (your integration token in place of ntn_…)'
      : `Notion Gateway is listening with ${connections} Notion connection${connections === 1 ? '' : 's'}`;
  return { msg, fields };
}
