/**
 * Configuration from the environment, validated once at start (ajv: the same validator as the API).
 * A bad value stops the boot with the full list of what is wrong, never half a configuration.
 * Every variable is documented in .env.example and README.md.
 */
import { join } from 'node:path';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { describeSchemaError, formatProblems } from './problems.ts';

const schema = {
  type: 'object',
  properties: {
    PORT: { type: 'integer', minimum: 0, maximum: 65535, default: 8080 },
    HOST: { type: 'string', default: '0.0.0.0' },
    TRUST_PROXY: { type: 'boolean', default: false },
    PUBLIC_BASE_URL: { type: 'string', pattern: '^https?://[^/]+(/.*)?$' },
    // Host names (optionally host:port) the MCP endpoints answer besides PUBLIC_BASE_URL's host and loopback.
    ALLOWED_HOSTS: {
      type: 'string',
      pattern:
        '^\\s*([A-Za-z0-9.-]+|\\[[0-9A-Fa-f:.]+\\])(:[0-9]{1,5})?(\\s*,\\s*([A-Za-z0-9.-]+|\\[[0-9A-Fa-f:.]+\\])(:[0-9]{1,5})?)*\\s*$',
    },
    HTTP_HEADERS_TIMEOUT_MS: { type: 'integer', minimum: 1000, maximum: 120000, default: 10000 },
    HTTP_REQUEST_TIMEOUT_MS: { type: 'integer', minimum: 1000, maximum: 600000, default: 30000 },
    HTTP_KEEP_ALIVE_TIMEOUT_MS: { type: 'integer', minimum: 1000, maximum: 600000, default: 5000 },
    BODY_READ_TIMEOUT_MS: { type: 'integer', minimum: 500, maximum: 600000, default: 10000 },
    MAX_CONNECTIONS: { type: 'integer', minimum: 1, maximum: 1000000, default: 1024 },
    SHUTDOWN_GRACE_MS: { type: 'integer', minimum: 0, maximum: 600000, default: 10000 },
    ACTION_API_TOKEN: { type: 'string', minLength: 16 },
    MCP_AUTH: { type: 'string', enum: ['bearer', 'none'], default: 'bearer' },
    MCP_TOOLSETS: { type: 'string', pattern: '^[a-z, ]+$', default: 'core,research,rows,jobs' },
    NOTION_TOKEN: { type: 'string', minLength: 1 },
    NOTION_BASE_URL: { type: 'string', pattern: '^https?://[^/]+$', default: 'https://api.notion.com' },
    NOTION_TIMEOUT_MS: { type: 'integer', minimum: 1000, maximum: 120000, default: 30000 },
    NOTION_MAX_RETRIES: { type: 'integer', minimum: 0, maximum: 10, default: 3 },
    NOTION_RETRY_BASE_MS: { type: 'integer', minimum: 1, maximum: 10000, default: 250 },
    NOTION_RATE_LIMIT_PER_MINUTE: { type: 'integer', minimum: 1, maximum: 1000000, default: 180 },
    NOTION_RATE_BURST: { type: 'integer', minimum: 1, maximum: 1000, default: 3 },
    NOTION_PACE_MAX_WAIT_MS: { type: 'integer', minimum: 0, maximum: 60000, default: 20000 },
    SEARCH_INDEX_INTERVAL_S: { type: 'integer', minimum: 0, maximum: 86400, default: 300 },
    READ_ONLY: { type: 'boolean', default: false },
    IDEMPOTENCY_TTL_HOURS: { type: 'number', exclusiveMinimum: 0, maximum: 720, default: 24 },
    IDEMPOTENCY_LEASE_SECONDS: { type: 'integer', minimum: 5, maximum: 3600, default: 60 },
    DEFAULT_CONNECTION_ID: { type: 'string', format: 'uuid' },
    CONNECTION_CACHE_TTL_MS: { type: 'integer', minimum: 0, maximum: 600000, default: 5000 },
    MAX_BODY_BYTES: { type: 'integer', minimum: 1024, maximum: 10485760, default: 1048576 },
    MAX_RESPONSE_CHARS: { type: 'integer', minimum: 1000, maximum: 10000000, default: 95000 },
    // Notion's multi-part uploads take parts of 5 to 20 MiB (all but the last).
    FILE_UPLOAD_PART_BYTES: { type: 'integer', minimum: 5242880, maximum: 20971520, default: 10485760 },
    DATA_DIR: { type: 'string', default: './data' },
    PGLITE_DATA_DIR: { type: 'string' },
    DATABASE_URL: { type: 'string', pattern: '^postgres(ql)?://' },
    TOKEN_ENCRYPTION_KEYS: { type: 'string' },
    TOKEN_ENCRYPTION_KEY: { type: 'string' },
    NOTION_OAUTH_CLIENT_ID: { type: 'string' },
    NOTION_OAUTH_CLIENT_SECRET: { type: 'string' },
    NOTION_OAUTH_REDIRECT_URI: { type: 'string', pattern: '^https?://' },
    OAUTH_STATE_SECRET: { type: 'string', minLength: 32 },
    OAUTH_RETURN_ORIGINS: { type: 'string' },
    // The OAuth 2.1 authorization server (src/auth): off unless asked for; needs PUBLIC_BASE_URL.
    OAUTH: { type: 'string', enum: ['off', 'on'], default: 'off' },
    OAUTH_ACCESS_TOKEN_TTL_SECONDS: { type: 'integer', minimum: 60, maximum: 86400, default: 3600 },
    // A password the operator may sign in with on the OAuth sign-in page (besides ACTION_API_TOKEN).
    OPERATOR_PASSWORD: { type: 'string', minLength: 12 },
    LOG_LEVEL: {
      type: 'string',
      enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
      default: 'info',
    },
    BUILD_SHA: { type: 'string' },
    // OpenTelemetry traces over OTLP/HTTP to <endpoint>/v1/traces; unset, tracing is off and nothing of it is loaded.
    OTEL_EXPORTER_OTLP_ENDPOINT: { type: 'string', pattern: '^https?://' },
  },
  additionalProperties: true,
} as const;

/** Every variable the gateway reads (the .env.example and README tables list exactly these). */
export const ENV_VARIABLES = Object.keys(schema.properties);

export interface Config {
  port: number;
  host: string;
  /** Behind Cloudflare Tunnel or another reverse proxy: trust X-Forwarded-Proto/Host. */
  trustProxy: boolean;
  /** Absolute base URL clients reach the gateway at; becomes `servers[0].url` of the served OpenAPI documents. */
  publicBaseUrl: string | null;
  /**
   * Host names (lower case, `[::1]` bracketed, optionally `:port`) the MCP endpoints accept in Host and Origin: loopback,
   * PUBLIC_BASE_URL's host and ALLOWED_HOSTS. Anything else may be a DNS-rebinding page.
   */
  allowedHosts: string[];
  /** Slow or stalled clients: Node's server timeouts, the body read timeout and the connection cap. */
  http: {
    headersTimeoutMs: number;
    requestTimeoutMs: number;
    keepAliveTimeoutMs: number;
    bodyReadTimeoutMs: number;
    maxConnections: number;
    /** On SIGTERM: how long in-flight requests may take to finish before their connections are cut. */
    shutdownGraceMs: number;
  };
  actionApiToken: string | null;
  mcpAuth: 'bearer' | 'none';
  /** Toolsets an MCP client gets unless its URL asks for others (`?toolsets=`). */
  mcpToolsets: string[];
  notionToken: string | null;
  notionBaseUrl: string;
  notionTimeoutMs: number;
  notionMaxRetries: number;
  /** First back-off of a retry without Retry-After, doubled each attempt (NOTION_RETRY_BASE_MS). */
  notionRetryBaseMs: number;
  /** Pace of Notion requests per connection (src/notion/pacer.ts). */
  notionPace: { perMinute: number; burst: number; maxWaitMs: number };
  /** Seconds between body-index sweeps of every connection; 0: only when a `search_index` job is started. */
  searchIndexIntervalS: number;
  readOnly: boolean;
  idempotency: { ttlMs: number; leaseMs: number };
  defaultConnectionId: string | null;
  /** How long resolved connections and their tokens are served from memory (0: off). */
  connectionCacheTtlMs: number;
  maxBodyBytes: number;
  maxResponseChars: number;
  /** Inline uploads larger than this go to Notion in parts of this size. */
  fileUploadPartBytes: number;
  dataDir: string;
  /** Embedded PGlite directory (default <dataDir>/pglite; `memory://` keeps it in memory). */
  pgliteDir: string;
  /** PostgreSQL when set; embedded PGlite otherwise. */
  databaseUrl: string | null;
  /** Raw key specs, parsed by src/security (first encrypts, all decrypt). */
  tokenEncryption: { keys: string | null; key: string | null };
  notionOAuth: {
    clientId: string | null;
    clientSecret: string | null;
    redirectUri: string | null;
    stateSecret: string | null;
    returnOrigins: string[];
  };
  /** The gateway's own OAuth 2.1 authorization server (issuer: PUBLIC_BASE_URL); null when OAUTH=off. */
  oauthServer: { issuer: string; accessTokenTtlSeconds: number } | null;
  /** OPERATOR_PASSWORD: the operator's sign-in on the OAuth sign-in page, besides the API token. */
  operatorPassword: string | null;
  logLevel: string;
  buildSha: string | null;
  /** OTEL_EXPORTER_OTLP_ENDPOINT: OpenTelemetry traces go there (src/shared/tracing.ts); null: off. */
  otlpEndpoint: string | null;
}

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(formatProblems(problems));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

const ajv = new Ajv({ allErrors: true, coerceTypes: true, useDefaults: true });
addFormats.default(ajv, ['uuid']);
const validate = ajv.compile(schema);

export const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'] as const;

function allowedHostsOf(publicBaseUrl: string | null, extra: string): string[] {
  const hosts = new Set<string>(LOOPBACK_HOSTS);
  if (publicBaseUrl) hosts.add(new URL(publicBaseUrl).hostname.toLowerCase());
  for (const entry of extra.split(',')) if (entry.trim()) hosts.add(entry.trim().toLowerCase());
  return [...hosts];
}

/** Reads configuration from `env` (process.env by default). Empty strings count as unset. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const raw: Record<string, unknown> = Object.fromEntries(
    Object.entries(env).filter(([key, value]) => key in schema.properties && value !== undefined && value !== ''),
  );
  if (!validate(raw)) {
    // Messages name the variable and the rule (for enums, the allowed values), never the value (it may be a secret).
    throw new ConfigError((validate.errors ?? []).map(describeSchemaError));
  }
  const v = raw as Record<string, never>;
  const publicBaseUrl = v.PUBLIC_BASE_URL ? String(v.PUBLIC_BASE_URL).replace(/\/$/, '') : null;
  const requestTimeoutMs: number = v.HTTP_REQUEST_TIMEOUT_MS;
  return {
    port: v.PORT,
    host: v.HOST,
    trustProxy: v.TRUST_PROXY,
    publicBaseUrl,
    allowedHosts: allowedHostsOf(publicBaseUrl, v.ALLOWED_HOSTS ?? ''),
    http: {
      // Node needs headersTimeout ≤ requestTimeout.
      headersTimeoutMs: Math.min(v.HTTP_HEADERS_TIMEOUT_MS, requestTimeoutMs),
      requestTimeoutMs,
      keepAliveTimeoutMs: v.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      bodyReadTimeoutMs: v.BODY_READ_TIMEOUT_MS,
      maxConnections: v.MAX_CONNECTIONS,
      shutdownGraceMs: v.SHUTDOWN_GRACE_MS,
    },
    actionApiToken: v.ACTION_API_TOKEN ?? null,
    mcpAuth: v.MCP_AUTH,
    mcpToolsets: String(v.MCP_TOOLSETS)
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean),
    notionToken: v.NOTION_TOKEN ?? null,
    notionBaseUrl: v.NOTION_BASE_URL,
    notionTimeoutMs: v.NOTION_TIMEOUT_MS,
    notionMaxRetries: v.NOTION_MAX_RETRIES,
    notionRetryBaseMs: v.NOTION_RETRY_BASE_MS,
    searchIndexIntervalS: v.SEARCH_INDEX_INTERVAL_S,
    notionPace: {
      perMinute: v.NOTION_RATE_LIMIT_PER_MINUTE,
      burst: v.NOTION_RATE_BURST,
      maxWaitMs: v.NOTION_PACE_MAX_WAIT_MS,
    },
    readOnly: v.READ_ONLY,
    idempotency: { ttlMs: v.IDEMPOTENCY_TTL_HOURS * 3_600_000, leaseMs: v.IDEMPOTENCY_LEASE_SECONDS * 1000 },
    defaultConnectionId: v.DEFAULT_CONNECTION_ID ?? null,
    connectionCacheTtlMs: v.CONNECTION_CACHE_TTL_MS,
    maxBodyBytes: v.MAX_BODY_BYTES,
    maxResponseChars: v.MAX_RESPONSE_CHARS,
    fileUploadPartBytes: v.FILE_UPLOAD_PART_BYTES,
    dataDir: v.DATA_DIR,
    pgliteDir: v.PGLITE_DATA_DIR ?? join(v.DATA_DIR, 'pglite'),
    databaseUrl: v.DATABASE_URL ?? null,
    tokenEncryption: { keys: v.TOKEN_ENCRYPTION_KEYS ?? null, key: v.TOKEN_ENCRYPTION_KEY ?? null },
    notionOAuth: {
      clientId: v.NOTION_OAUTH_CLIENT_ID ?? null,
      clientSecret: v.NOTION_OAUTH_CLIENT_SECRET ?? null,
      redirectUri: v.NOTION_OAUTH_REDIRECT_URI ?? null,
      stateSecret: v.OAUTH_STATE_SECRET ?? null,
      returnOrigins: String(v.OAUTH_RETURN_ORIGINS ?? '')
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean),
    },
    oauthServer:
      v.OAUTH === 'on' && publicBaseUrl
        ? { issuer: publicBaseUrl, accessTokenTtlSeconds: v.OAUTH_ACCESS_TOKEN_TTL_SECONDS }
        : null,
    operatorPassword: v.OPERATOR_PASSWORD ?? null,
    logLevel: v.LOG_LEVEL,
    buildSha: v.BUILD_SHA ?? null,
    otlpEndpoint: v.OTEL_EXPORTER_OTLP_ENDPOINT ?? null,
  };
}

/** Where the store lives and which keys protect its tokens: what `openSecureStore` takes, for the server and every CLI. */
export function storageOptions(config: Config) {
  return {
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    pgliteDir: config.pgliteDir,
    env: {
      TOKEN_ENCRYPTION_KEYS: config.tokenEncryption.keys ?? '',
      TOKEN_ENCRYPTION_KEY: config.tokenEncryption.key ?? '',
    },
  };
}
