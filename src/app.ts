/**
 * Composition root: builds the engine and its services from configuration and mounts both adapters on one Koa app.
 *   spec/ → generated/ → src/http (REST) + src/mcp (MCP) → src/engine → src/notion, src/store
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import Router from '@koa/router';
import Koa from 'koa';
import type { Logger } from 'pino';
import type { AuthorizationServer } from './auth/server.ts';
import { NOTION_SCOPE } from './auth/tokens.ts';
import { resolveApiToken } from './config/api-token.ts';
import { type Config, storageOptions } from './config/env.ts';
import { loadGeneratedDocument, type OpenApiDocument, withOAuth, withServer } from './contract/openapi.ts';
import { createConnectionService } from './domain/connections.ts';
import { createNotionOAuth } from './domain/notion-oauth.ts';
import { openSecureStore } from './domain/secure-store.ts';
import { DataSourceCache } from './engine/data-sources.ts';
import { Engine } from './engine/engine.ts';
import { JobRunner } from './engine/jobs.ts';
import { PeopleCache } from './engine/people.ts';
import { scheduleSearchSweeps } from './engine/search-index.ts';
import { homeHtml, homeIndex } from './home.ts';
import { mountDocs } from './http/docs.ts';
import { oauthHandlers } from './http/oauth.ts';
import { createRestAdapter } from './http/rest.ts';
import { type McpRoutes, mountMcpRoutes } from './mcp/routes.ts';
import { loadToolCatalog } from './mcp/server.ts';
import { NOTION_MAX_BODY_BYTES } from './notion/allowlist.ts';
import { NotionClients } from './notion/client.ts';
import { createPacer } from './notion/pacer.ts';
import { notionTokenProblem } from './notion/token.ts';
import { GatewayError } from './shared/errors.ts';
import { GatewayMetrics } from './shared/metrics.ts';
import { startTracing } from './shared/tracing.ts';
import { createKeyLocks } from './store/locks.ts';
import { openJobQueue, openOnFirstJob } from './store/queue.ts';
import { bearerMatcher, createGatekeeper } from './transport/auth.ts';
import { errorHandler, requestContext } from './transport/context.ts';
import { baseUrlFor } from './transport/hosts.ts';
import { createHttpServer } from './transport/server.ts';

/** How long a retry waits for a still-running first attempt with the same idempotency key before answering 409. */
const IDEMPOTENCY_WAIT_MS = 5_000;

const root = join(import.meta.dirname, '..');

function buildInfo(config: Config): { version: string; sha: string } {
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  if (config.buildSha) return { version, sha: config.buildSha };
  try {
    const sha = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return { version, sha: sha.toString().trim() };
  } catch {
    return { version, sha: 'unknown' };
  }
}

export interface Gateway {
  app: Koa;
  engine: Engine;
  /** The OAuth 2.1 authorization server (OAUTH=on), else null. */
  authServer: AuthorizationServer | null;
  listen(port?: number, host?: string): Promise<{ server: Server; url: string }>;
  close(): Promise<void>;
}

export async function createGateway(config: Config, logger: Logger): Promise<Gateway> {
  const build = buildInfo(config);
  // Loaded only when the variable is set: without it no OpenTelemetry module is imported.
  const stopTracing = config.otlpEndpoint
    ? await startTracing({
        endpoint: config.otlpEndpoint,
        serviceName: 'notion-gateway',
        serviceVersion: build.version,
      })
    : null;
  const apiToken = resolveApiToken(config, logger);
  const metrics = new GatewayMetrics();
  const { store, cipher } = await openSecureStore({
    ...storageOptions(config),
    logger,
  });
  const { clientId, clientSecret, redirectUri, stateSecret, returnOrigins } = config.notionOAuth;
  const connections = createConnectionService({
    store,
    cipher,
    notionBaseUrl: config.notionBaseUrl,
    notionTimeoutMs: config.notionTimeoutMs,
    notionMetrics: metrics.notion,
    defaultConnectionId: config.defaultConnectionId,
    cacheTtlMs: config.connectionCacheTtlMs,
    oauthClient: clientId && clientSecret ? { clientId, clientSecret } : null,
    logger,
  });
  // A malformed NOTION_TOKEN (a newline, a space, a pasted quote…) is skipped with a warning that never quotes it.
  const notionTokenIssue = config.notionToken ? notionTokenProblem(config.notionToken) : null;
  if (notionTokenIssue) {
    logger.warn({ reason: notionTokenIssue }, `NOTION_TOKEN was not used: ${notionTokenIssue}. Fix it and restart.`);
  } else if (config.notionToken) {
    // A first start verifies the token with Notion. Notion being down or the token being wrong must not keep the
    // gateway from serving: say why (never the token) and let the operator fix it or add it later.
    try {
      const { connection, created } = await connections.seedFromEnv(config.notionToken);
      logger.info({ connection_id: connection.connection_id, created }, 'NOTION_TOKEN connection ready');
    } catch (error) {
      if (!(error instanceof GatewayError)) throw error;
      logger.warn(
        { code: error.code, details: error.details },
        `NOTION_TOKEN was not stored: ${error.message} It is tried again at the next start.`,
      );
    }
  }
  // The authorization server signs users in through Notion OAuth when configured (which calls back into it when a
  // sign-in completes), and the operator with ACTION_API_TOKEN or OPERATOR_PASSWORD always.
  let authServer: AuthorizationServer | null = null;
  const notionOAuth = createNotionOAuth({
    store,
    connections,
    clientId,
    clientSecret,
    redirectUri,
    stateSecret,
    notionBaseUrl: config.notionBaseUrl,
    notionTimeoutMs: config.notionTimeoutMs,
    notionMetrics: metrics.notion,
    allowedReturnOrigins: returnOrigins,
    logger,
    onCompleted: async (result) => authServer?.onNotionCompleted(result),
  });
  if (config.oauthServer) {
    // Loaded only when on: oidc-provider and its dependencies stay out of the memory of a gateway without OAuth.
    const { createAuthorizationServer } = await import('./auth/server.ts');
    authServer = await createAuthorizationServer({
      ...config.oauthServer,
      store,
      cipher,
      connections,
      notionOAuth,
      operatorSecrets: [apiToken, config.operatorPassword].filter((s): s is string => Boolean(s)),
      trustProxy: config.trustProxy,
      logger,
    });
  }
  const gatekeeper = createGatekeeper(apiToken, authServer);

  const locks = createKeyLocks(store);
  // On PostgreSQL several processes may serve one connection: they share its Notion pace through the database.
  // Imported only then: the embedded gateway never loads the pg driver.
  const sharedPace = config.databaseUrl
    ? (await import('./store/pace.ts')).openSharedPace(config.databaseUrl, logger)
    : null;
  // Durable jobs: pg-boss on the same database (src/store/queue.ts); this process also works on them. Embedded, with
  // nothing left to resume, it starts with the first job; on PostgreSQL other processes may hand work over at any time.
  const openQueue = () =>
    openJobQueue(store, {
      databaseUrl: config.databaseUrl,
      logger,
      exclusive: store.driver === 'pglite' ? { unfinishedJobIds: () => store.jobs.unfinishedIds() } : undefined,
    });
  const queue =
    store.driver === 'pglite' && !(await store.jobs.hasUnfinished()) ? openOnFirstJob(openQueue) : await openQueue();
  const lifecycle = { draining: false };
  const engine = new Engine({
    connections,
    notion: new NotionClients({
      baseUrl: config.notionBaseUrl,
      timeoutMs: config.notionTimeoutMs,
      maxRetries: config.notionMaxRetries,
      retryBaseMs: config.notionRetryBaseMs,
      pacer: createPacer(config.notionPace, sharedPace?.limiter, metrics.pace),
      metrics: metrics.notion,
      logger,
    }),
    audit: store.audit,
    idempotency: store.idempotency,
    upsertKeys: store.upsertKeys,
    locks,
    dataSources: new DataSourceCache(),
    people: new PeopleCache(),
    jobs: store.jobs,
    searchIndex: store.searchIndex,
    queue,
    limits: {
      maxResponseChars: config.maxResponseChars,
      maxNotionBodyBytes: NOTION_MAX_BODY_BYTES,
      fileUploadPartBytes: config.fileUploadPartBytes,
    },
    settings: {
      readOnly: config.readOnly,
      pacePerMinute: config.notionPace.perMinute,
      retryBaseMs: config.notionRetryBaseMs,
      idempotency: { ...config.idempotency, waitMs: IDEMPOTENCY_WAIT_MS },
    },
    build,
    defaultConnectionId: config.defaultConnectionId,
    lifecycle,
    metrics: metrics.operations,
  });
  await new JobRunner(
    engine,
    { jobs: store.jobs, osState: store.osState, locks, searchIndex: store.searchIndex },
    logger,
  ).start(queue);
  // Body search stays fresh by a sweep of every connection each SEARCH_INDEX_INTERVAL_S (src/engine/search-index.ts).
  const stopSweeps = scheduleSearchSweeps({
    intervalS: config.searchIndexIntervalS,
    connections: store.connections,
    jobs: store.jobs,
    queue,
    pending: async (connectionId) =>
      (
        await store.query(
          `select 1 from jobs where connection_id = ? and kind = 'search_index' and status in ('queued', 'running') limit 1`,
          [connectionId],
        )
      ).length > 0,
    logger,
  });
  // Replays live for IDEMPOTENCY_TTL_HOURS; expired records are dropped at start and every ten minutes.
  const purge = () =>
    engine.purgeExpiredKeys().catch((error: unknown) => logger.warn({ err: error }, 'idempotency purge failed'));
  void purge();
  const purgeTimer = setInterval(purge, 10 * 60_000);
  purgeTimer.unref();

  if (config.publicBaseUrl && !config.publicBaseUrl.startsWith('https://')) {
    logger.warn('PUBLIC_BASE_URL is not https: ChatGPT Actions only import documents whose server URL is https.');
  }

  const bodyLimits = { maxBytes: config.maxBodyBytes, timeoutMs: config.http.bodyReadTimeoutMs };
  const fullDocument = loadGeneratedDocument('openapi.full.json');
  const actionsDocument = loadGeneratedDocument('openapi.actions.json');
  const handleRest = await createRestAdapter({
    document: fullDocument,
    engine,
    httpOnly: oauthHandlers(notionOAuth),
    gatekeeper,
    body: bodyLimits,
  });

  const app = new Koa({ proxy: config.trustProxy });
  // Errors Koa meets after the error envelope (writing an answer to a client that went away, as balancers' health
  // checks do) go to the log, not as a stack trace on stderr.
  app.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'ECONNRESET' || error.code === 'EPIPE') logger.debug({ err: error }, 'client went away');
    else logger.error({ err: error }, 'response failed');
  });
  const router = new Router();
  // PUBLIC_BASE_URL, else the request's origin if its Host is allowed: never an arbitrary Host header.
  const baseUrlOf = (ctx: Koa.Context) => baseUrlFor(ctx, config.publicBaseUrl, config.allowedHosts);
  // With OAUTH=on, Custom GPT Actions sign users in: the served document declares the OAuth scheme instead.
  const actionsServed: OpenApiDocument = authServer
    ? withOAuth(actionsDocument, {
        authorizationUrl: `${authServer.issuer}/oauth/authorize`,
        tokenUrl: `${authServer.issuer}/oauth/token`,
        scopes: { [NOTION_SCOPE]: 'Read and write the Notion workspaces you choose when you sign in' },
      })
    : actionsDocument;
  router.get('/openapi.json', (ctx) => {
    ctx.body = withServer(actionsServed, baseUrlOf(ctx));
  });
  router.get('/openapi.full.json', (ctx) => {
    ctx.body = withServer(fullDocument, baseUrlOf(ctx));
  });
  // The REST reference and the MCP tools, public like the documents (src/http/docs.ts).
  mountDocs(router, { defaultToolsets: config.mcpToolsets });
  // A newcomer's first request: where everything is (HTML for a browser, JSON otherwise).
  router.get('/', (ctx) => {
    const index = homeIndex(baseUrlOf(ctx), {
      version: build.version,
      mcpAuth: config.mcpAuth,
      oauthIssuer: authServer?.issuer ?? null,
    });
    ctx.body = ctx.accepts('json', 'html') === 'html' ? homeHtml(index) : index;
  });
  // Replicas on one PostgreSQL: legacy SSE messages reach the stream whichever replica they land on.
  let deliverRelayed: McpRoutes['deliverRelayed'] = () => {};
  const sseRelay = config.databaseUrl
    ? await (await import('./store/sse-relay.ts')).openSseRelay(
        config.databaseUrl,
        (sessionId, kind, message) => deliverRelayed(sessionId, kind, message),
        logger,
      )
    : undefined;
  const mcp = mountMcpRoutes(router, {
    relay: sseRelay,
    engine,
    catalog: loadToolCatalog(Engine.isOperation, { toolsets: config.mcpToolsets, readOnly: config.readOnly }),
    version: build.version,
    auth: config.mcpAuth,
    apiToken,
    gatekeeper,
    logger,
    allowedHosts: config.allowedHosts,
    body: bodyLimits,
  });
  deliverRelayed = mcp.deliverRelayed;

  // Prometheus metrics (src/shared/metrics.ts), for the operator only: `Authorization: Bearer <ACTION_API_TOKEN>`.
  // Queue depth and age and the open SSE sessions are read when scraped (two counts and one indexed row).
  metrics.setScrapeSource({
    sseSessions: () => mcp.sseSessionCount(),
    async jobs() {
      const stats = await store.jobs.queueStats();
      const age = stats.oldestQueuedAt ? Math.max(0, (Date.now() - stats.oldestQueuedAt.getTime()) / 1000) : 0;
      return { queued: stats.queued, running: stats.running, oldestQueuedAgeSeconds: age };
    },
  });
  const isOperator = bearerMatcher(apiToken);
  router.get('/metrics', async (ctx) => {
    if (!isOperator(ctx.get('Authorization'))) {
      ctx.set('WWW-Authenticate', 'Bearer');
      throw new GatewayError('unauthorized', "Send the operator's API token as `Authorization: Bearer <token>`.");
    }
    const { contentType, body } = await metrics.exposition();
    ctx.set('Content-Type', contentType);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = body;
  });

  // In-flight requests, so a shutdown can wait for them; while draining, each answer closes its connection.
  const inFlight = { count: 0, settled: null as (() => void) | null };
  app.use(async (ctx, next) => {
    inFlight.count++;
    try {
      await next();
    } finally {
      // Koa writes the answer after the middleware: a shutdown that began meanwhile still closes this connection.
      if (lifecycle.draining && !ctx.headerSent) ctx.set('Connection', 'close');
      if (--inFlight.count === 0) inFlight.settled?.();
    }
  });
  app.use(requestContext(logger));
  app.use(errorHandler());
  // The authorization server's endpoints, discovery, protected-resource metadata and consent pages (OAUTH=on).
  if (authServer) app.use(authServer.middleware);
  // No body parser here: each route authenticates first, then reads its body (src/transport/body.ts).
  app.use(router.routes());
  app.use(router.allowedMethods());
  // Everything else is an operation of the OpenAPI contract (or a 404 envelope).
  app.use(handleRest);

  let server: Server | null = null;
  return {
    app,
    engine,
    authServer,
    listen(port = config.port, host = config.host) {
      return new Promise((resolve, reject) => {
        const s = createHttpServer(app.callback(), config.http);
        s.listen(port, host);
        s.once('error', reject);
        s.once('listening', () => {
          server = s;
          const address = s.address();
          const actualPort = typeof address === 'object' && address ? address.port : port;
          resolve({ server: s, url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${actualPort}` });
        });
      });
    },
    /**
     * Graceful: say so on /health (503 `draining`, so a balancer stops sending here), close idle keep-alive
     * connections and every answer's connection, let in-flight requests finish within SHUTDOWN_GRACE_MS (a request
     * arriving meanwhile is still served rather than refused), then stop listening, end SSE streams with a retry hint
     * and hand running job steps back (pg-boss's graceful stop; a step still running past its bound is picked up
     * again by another process when its lease expires).
     */
    async close() {
      clearInterval(purgeTimer);
      stopSweeps();
      metrics.setScrapeSource(null);
      lifecycle.draining = true;
      const listening = server;
      if (listening) {
        listening.closeIdleConnections();
        if (inFlight.count > 0) {
          await new Promise<void>((resolve) => {
            const bound = setTimeout(resolve, config.http.shutdownGraceMs);
            inFlight.settled = () => {
              clearTimeout(bound);
              resolve();
            };
          });
        }
      }
      await queue.stop();
      authServer?.close();
      await mcp.close();
      await sseRelay?.close();
      if (listening) {
        server = null;
        listening.closeAllConnections();
        await new Promise<void>((resolve) => listening.close(() => resolve()));
      }
      await sharedPace?.close();
      await store.close();
      await stopTracing?.();
    },
  };
}
