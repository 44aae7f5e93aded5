/**
 * REST adapter: openapi-backend routes each request by operationId and validates it against the generated full
 * document; every operation is bound to `engine.invoke(operationId, …)`. Nothing here knows about Notion.
 */
import type { ErrorObject } from 'ajv';
import type { Context } from 'koa';
import { OpenAPIBackend, type Context as OpenApiContext } from 'openapi-backend';
import { type OpenApiDocument, operationsOf } from '../contract/openapi.ts';
import { Engine } from '../engine/engine.ts';
import type { HttpOnlyOperationId, OperationId } from '../engine/types.ts';
import { GatewayError } from '../shared/errors.ts';
import {
  createAjv,
  issuesFromAjv,
  unstorableTextIssues,
  type ValidationIssue,
  validationFailed,
} from '../shared/validation.ts';
import { type Gatekeeper, requirePrincipal } from '../transport/auth.ts';
import { type BodyLimits, readJsonBody } from '../transport/body.ts';
import { callContext, okEnvelope, type RequestState } from '../transport/context.ts';

/** openapi-backend validates with draft-07 Ajv; the documents are OpenAPI 3.1 (JSON Schema 2020-12). */
const ajv2020 = (_original: unknown, options: Record<string, unknown>) => createAjv(options);

/** openapi-backend validates `{ requestBody, query, path }`: split that prefix off to get the caller's pointer. */
function locate(instancePath: string): Pick<ValidationIssue, 'location' | 'pointer'> {
  const [, head = '', ...rest] = instancePath.split('/');
  if (head === 'query' || head === 'path') return { location: head, pointer: rest.length ? `/${rest.join('/')}` : '' };
  if (head === 'requestBody') return { location: 'body', pointer: rest.length ? `/${rest.join('/')}` : '' };
  return { location: 'body', pointer: instancePath };
}

export type HttpOnlyHandler = (query: Record<string, unknown>, ctx: Context) => Promise<void>;

export interface RestAdapterOptions {
  document: OpenApiDocument;
  engine: Engine;
  /** Handlers of the operations marked `x-http-only` in the contract (browser redirects). */
  httpOnly: Record<HttpOnlyOperationId, HttpOnlyHandler>;
  /** The operator's token (ACTION_API_TOKEN) and, with OAUTH=on, access tokens for the REST audience. */
  gatekeeper: Gatekeeper;
  body: BodyLimits;
}

/** Whether an operation requires the bearer token: its own `security`, else the document's; `{}` means public. */
function needsBearer(op: { security?: Array<Record<string, unknown>> }, document: OpenApiDocument): boolean {
  const requirements = op.security ?? (document as { security?: Array<Record<string, unknown>> }).security ?? [];
  return requirements.length > 0 && requirements.every((r) => 'BearerAuth' in r);
}

export async function createRestAdapter({ document, engine, httpOnly, gatekeeper, body: limits }: RestAdapterOptions) {
  const api = new OpenAPIBackend({
    definition: structuredClone(document) as never,
    strict: true,
    quick: true, // the 3.1 document would fail openapi-backend's 3.0 meta-schema check
    validate: true,
    coerceTypes: true,
    customizeAjv: ajv2020 as never,
  });

  // Authentication already ran from the headers (below, before the body is read): it set the principal.
  api.registerSecurityHandler(
    'BearerAuth',
    (_c: OpenApiContext, ctx: Context) => (ctx.state as RequestState).principal !== undefined,
  );

  api.register({
    notFound: (c: OpenApiContext) => {
      throw new GatewayError('not_found', `No operation at ${c.request.method.toUpperCase()} ${c.request.path}.`);
    },
    methodNotAllowed: (c: OpenApiContext) => {
      throw new GatewayError(
        'method_not_allowed',
        `${c.request.method.toUpperCase()} is not allowed on ${c.request.path}.`,
      );
    },
    unauthorizedHandler: (_c: OpenApiContext, ctx: Context) => {
      throw gatekeeper.refuse(ctx, 'rest');
    },
    validationFail: (c: OpenApiContext) => {
      throw validationFailed(issuesFromAjv((c.validation.errors ?? []) as ErrorObject[], locate));
    },
  });

  /**
   * The two x-http-only operations do not run through the engine (which refuses strings PostgreSQL cannot store for
   * every engine operation): their query is checked here.
   */
  const checkText = (c: OpenApiContext) => {
    const issues = [
      ...unstorableTextIssues(c.request.params, 'path'),
      ...unstorableTextIssues(c.request.query, 'query'),
      ...unstorableTextIssues(c.request.requestBody, 'body'),
    ];
    if (issues.length) throw validationFailed(issues);
  };

  for (const { op } of operationsOf(document)) {
    if (op['x-http-only']) {
      const handler = httpOnly[op.operationId as HttpOnlyOperationId];
      if (!handler) throw new Error(`No HTTP handler for the x-http-only operation ${op.operationId}`);
      api.register(op.operationId, (c: OpenApiContext, ctx: Context) => {
        checkText(c);
        return handler(c.request.query as never, ctx);
      });
      continue;
    }
    const operationId = op.operationId as OperationId;
    if (!Engine.isOperation(operationId)) throw new Error(`The engine has no operation ${operationId}`);
    api.register(operationId, async (c: OpenApiContext, ctx: Context) => {
      const body = c.request.requestBody;
      const input = {
        ...(body && typeof body === 'object' && !Array.isArray(body) ? body : {}),
        ...(c.request.query as object),
        ...(c.request.params as object),
      };
      const idempotencyKey = ctx.get('Idempotency-Key') || undefined;
      const params = c.request.params as object;
      const query = c.request.query as object;
      const inputLocation = (field: string) => (field in params ? 'path' : field in query ? 'query' : 'body');
      const call = { ...callContext(ctx, 'chatgpt_action', 'rest'), idempotencyKey, inputLocation } as const;
      const { result, replayed } = await engine.invoke(operationId, input as never, call);
      ctx.status = 200;
      if (replayed) ctx.set('Idempotent-Replayed', 'true');
      ctx.body = okEnvelope(result, ctx, replayed);
    });
  }

  await api.init();
  // openapi-backend flattens the document's operations (lodash chains) on every match, twice per request since the
  // route below matches before handleRequest does; the document never changes after init, so flatten it once.
  const operations = api.router.getOperations();
  api.router.getOperations = () => operations;

  return async function handleRest(ctx: Context) {
    const request = {
      method: ctx.method,
      path: ctx.path,
      query: ctx.request.querystring,
      body: undefined as unknown,
      headers: ctx.headers as Record<string, string | string[]>,
    };
    // Route and authenticate from the request line and headers alone; the body is read only for an operation that
    // takes one, from a caller it accepts. An unmatched path answers 404/405 inside handleRequest, body unread.
    const operation = api.router.matchOperation(request) as
      | { security?: Array<Record<string, unknown>>; requestBody?: unknown }
      | undefined;
    if (operation) {
      if (needsBearer(operation, document)) await requirePrincipal(gatekeeper, ctx, 'rest');
      if (operation.requestBody) request.body = await readJsonBody(ctx, limits);
    }
    await api.handleRequest(request, ctx);
  };
}
