/**
 * One wording for every configuration problem: `<VARIABLE> <what it must be>`, never the value (it may be a secret).
 * Used for the schema checks of src/config/env.ts and the checks made before the gateway starts (src/startup.ts).
 */
import type { ErrorObject } from 'ajv';

/** What a pattern- or format-checked variable must look like, in words (a regular expression tells a newcomer little). */
const SHAPES: Record<string, string> = {
  PUBLIC_BASE_URL: 'an absolute http(s) URL, like https://gateway.example.com',
  NOTION_BASE_URL: 'an http(s) origin without a path, like https://api.notion.com',
  NOTION_OAUTH_REDIRECT_URI: 'an absolute http(s) URL, like https://gateway.example.com/oauth/callback',
  DATABASE_URL: 'a PostgreSQL URL, like postgres://user:password@host:5432/db',
  DEFAULT_CONNECTION_ID: 'a connection id (a UUID, as GET /v1/connections lists them)',
  ALLOWED_HOSTS: 'a comma-separated list of host names, each optionally with :port',
};

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** One ajv error of the environment schema as a sentence naming the variable (and, for enums, the allowed values). */
export function describeSchemaError(error: ErrorObject): string {
  const variable = error.instancePath.slice(1) || 'the environment';
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'enum':
      return `${variable} must be one of: ${(p.allowedValues as unknown[]).join(', ')}`;
    case 'type':
      if (p.type === 'boolean') return `${variable} must be true or false`;
      if (p.type === 'integer') return `${variable} must be a whole number`;
      if (p.type === 'number') return `${variable} must be a number`;
      return `${variable} must be a ${String(p.type)}`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `${variable} must be ${String(p.comparison)} ${String(p.limit)}`;
    case 'minLength':
      return `${variable} must be at least ${plural(Number(p.limit), 'character')} long`;
    case 'maxLength':
      return `${variable} must be at most ${plural(Number(p.limit), 'character')} long`;
    case 'pattern':
    case 'format':
      return `${variable} must be ${SHAPES[variable] ?? 'in the format .env.example describes'}`;
    default:
      return `${variable} is invalid (${error.message ?? error.keyword})`;
  }
}

/** The one text a configuration failure prints, whatever found the problems. */
export function formatProblems(problems: string[]): string {
  return `Invalid configuration (see .env.example):\n- ${problems.join('\n- ')}`;
}
