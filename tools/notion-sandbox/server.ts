// The HTTP pipeline: admin prefix → route match → auth → Notion-Version → rate limit → latency → faults
// → body limits → handler → JSON. Every /v1 request (including rejected ones) lands in the request log.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Control, Fault } from './control.ts';
import { errorBody, invalidJson, invalidUrl, NotionError, unauthorized, validation } from './errors.ts';
import { bindWorkspaceStore } from './file-uploads.ts';
import { type Ctx, RawResponse, type Router } from './router.ts';
import type { Store, TokenRec, Workspace } from './store.ts';
import { isObject, newId } from './util.ts';

export const MAX_BODY_BYTES = 500 * 1024;
/** A file upload's send carries up to 20 MB of form data. */
const MAX_FORM_BYTES = 21 * 1024 * 1024;
const MAX_READ_BYTES = 25 * 1024 * 1024;

export interface ServerDeps {
  store: Store;
  router: Router;
  control: Control;
  /** Handles /__sandbox/* (admin.ts). */
  admin: (req: IncomingMessage, res: ServerResponse, path: string, body: string) => Promise<void> | void;
  origin: () => string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function readBody(req: IncomingMessage): Promise<{ text: string; buffer: Buffer; bytes: number; tooLarge: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    let tooLarge = false;
    req.on('data', (c: Buffer) => {
      bytes += c.length;
      if (bytes > MAX_READ_BYTES) tooLarge = true;
      else chunks.push(c);
    });
    req.on('end', () => {
      const buffer = Buffer.concat(chunks);
      resolve({ text: buffer.toString('utf8'), buffer, bytes, tooLarge });
    });
    req.on('error', reject);
  });
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** Walks the request body: Notion caps every array at 100 elements. Block arrays get their own messages in blocks.ts. */
function checkArrays(v: unknown, path: string): void {
  if (Array.isArray(v)) {
    if (v.length > 100) throw validation(`${path}.length should be ≤ \`100\`, instead was \`${v.length}\`.`);
    v.forEach((x, i) => {
      checkArrays(x, `${path}[${i}]`);
    });
  } else if (isObject(v)) {
    for (const [k, x] of Object.entries(v)) checkArrays(x, `${path}.${k}`);
  }
}

export function createSandboxServer(deps: ServerDeps): Server {
  const { store, router, control } = deps;
  const held = new Set<ServerResponse>();

  const server = createServer(async (req, res) => {
    const started = performance.now();
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
    const path = url.pathname;
    const requestId = newId();
    let workspaceId: string | null = null;
    let connection: string | null = null;
    let template: string | null = null;
    let injected: 'rate_limit' | 'fault' | undefined;
    let status = 500;

    let raw: { text: string; buffer: Buffer; bytes: number; tooLarge: boolean };
    try {
      raw = await readBody(req);
    } catch {
      res.destroy();
      return;
    }

    if (path.startsWith('/__sandbox')) {
      try {
        await deps.admin(req, res, path, raw.text);
      } catch (e) {
        sendJson(res, 400, { object: 'error', status: 400, code: 'validation_error', message: (e as Error).message });
      }
      return;
    }

    const respondError = (err: NotionError) => {
      status = err.status;
      sendJson(res, err.status, errorBody(err, requestId), err.headers);
    };

    try {
      const match = router.match(method, path);
      if (!match) throw invalidUrl(method, path);
      const { route, params } = match;
      template = `${method} ${route.template}`;
      const auth = route.auth ?? 'bearer';

      let ws: Workspace | undefined;
      let tok: TokenRec | undefined;
      if (auth === 'bearer') {
        const h = req.headers.authorization;
        const m = h ? /^Bearer\s+(.+)$/i.exec(h) : null;
        if (!m) throw unauthorized('API token is invalid.');
        const found = store.workspaceForToken(m[1]!.trim());
        if (!found) throw unauthorized('API token is invalid.');
        ws = found.ws;
        tok = found.tok;
        bindWorkspaceStore(ws, store);
        workspaceId = ws.id;
        connection = tok.handle;
      }
      const version = req.headers['notion-version'];
      const versionStr = Array.isArray(version) ? version[0] : version;
      if ((route.version ?? auth === 'bearer') && !versionStr) {
        throw new NotionError(
          400,
          'missing_version',
          'Notion-Version header failed validation: Notion-Version header should be defined, instead was `undefined`.',
        );
      }
      if (versionStr && !/^\d{4}-\d{2}-\d{2}$/.test(versionStr)) {
        throw validation(`Notion-Version header failed validation: ${versionStr} is not a valid API version.`);
      }

      // Rate limit per connection (token) — Notion limits each integration connection separately.
      const wait = control.rateLimiter.take(connection ?? `ip:${req.socket.remoteAddress}`);
      if (wait > 0) {
        injected = 'rate_limit';
        throw new NotionError(
          429,
          'rate_limited',
          'You have been rate limited. Please try again in a few minutes.',
          {
            'retry-after': String(wait),
          },
          { rate_limit_reason: 'request_rate' },
        );
      }

      const lat = control.latencyMs();
      if (lat > 0) await sleep(lat);

      const fault = control.pickFault(method, path, route.template);
      if (fault && !fault.afterCommit && fault.status !== 'cut') {
        injected = 'fault';
        if (fault.status === 'timeout') {
          status = 0;
          await holdThenDrop(res, fault, held);
          return;
        }
        throw faultError(fault);
      }

      const form = route.body === 'form';
      const limit = form ? MAX_FORM_BYTES : MAX_BODY_BYTES;
      if (raw.tooLarge || raw.bytes > limit) {
        throw validation(
          form
            ? `Request body too large: ${raw.bytes} bytes; a single request carries up to 20 MB (use a multi_part upload).`
            : `Request body too large: ${raw.bytes} bytes; the limit is ${MAX_BODY_BYTES} bytes (500KB).`,
        );
      }
      let body: Record<string, unknown> = {};
      if (!form && raw.text.trim()) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(raw.text);
        } catch {
          throw invalidJson();
        }
        if (!isObject(parsed)) throw invalidJson('Request body should be a JSON object.');
        body = parsed;
      }
      checkArrays(body, 'body');

      const ctx: Ctx = {
        method,
        path,
        params,
        query: url.searchParams,
        body,
        rawBody: raw.buffer,
        headers: req.headers,
        store,
        ws: ws as Workspace,
        tok: tok as TokenRec,
        version: versionStr ?? '',
        origin: deps.origin(),
        requestId,
      };
      const result = await route.handler(ctx);
      if (method !== 'GET') store.save();

      if (fault?.status === 'cut') {
        // The request ran; the answer breaks off half-way through its body.
        injected = 'fault';
        status = 0;
        const json = JSON.stringify(result instanceof RawResponse ? (result.body ?? {}) : result);
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
        // Headers and the first half reach the client before the connection drops.
        await new Promise((resolve) => res.write(json.slice(0, Math.floor(json.length / 2)), resolve));
        await sleep(20);
        res.destroy();
        return;
      }

      if (fault?.afterCommit) {
        // The write happened; tell the client it failed the way Notion sometimes does.
        injected = 'fault';
        if (fault.status === 'timeout') {
          status = 0;
          await holdThenDrop(res, fault, held);
          return;
        }
        const id = isObject(result) && typeof result.id === 'string' ? result.id : undefined;
        const err = faultError(fault);
        if (id) err.extra = { ...err.extra, committed_resource_id: id, retry_guidance: 'do_not_retry' };
        throw err;
      }

      if (result instanceof RawResponse) {
        status = result.status;
        if (result.body === undefined) {
          res.writeHead(result.status, result.headers);
          res.end();
        } else sendJson(res, result.status, result.body, result.headers);
      } else {
        status = 200;
        sendJson(res, 200, result);
      }
    } catch (e) {
      if (e instanceof NotionError) respondError(e);
      else {
        console.error('[notion-sandbox] handler crashed:', e);
        respondError(new NotionError(500, 'internal_server_error', 'Unexpected error occurred.'));
      }
    } finally {
      control.record({
        method,
        path,
        status,
        workspaceId,
        ms: Math.round((performance.now() - started) * 100) / 100,
        route: template,
        connection,
        injected,
        at: new Date().toISOString(),
      });
    }
  });

  server.on('close', () => {
    for (const r of held) r.destroy();
  });
  return server;
}

function faultError(f: Fault): NotionError {
  const retry = String(f.retryAfter ?? 1);
  switch (f.status) {
    case 429:
      if (f.rateLimitReason === 'public_api_request_blocked')
        // Blocked, not throttled: no Retry-After, because retrying will not help.
        return new NotionError(
          429,
          'rate_limited',
          'Requests from this integration are blocked. (sandbox fault injection)',
          {},
          { rate_limit_reason: 'public_api_request_blocked' },
        );
      return new NotionError(
        429,
        'rate_limited',
        'You have been rate limited. Please try again in a few minutes.',
        { 'retry-after': retry },
        { rate_limit_reason: 'request_rate' },
      );
    case 500:
      return new NotionError(500, 'internal_server_error', 'Unexpected error occurred. (sandbox fault injection)');
    case 502:
      return new NotionError(502, 'bad_gateway', 'Bad gateway. (sandbox fault injection)');
    case 503:
      return new NotionError(
        503,
        'service_unavailable',
        'Notion is unavailable, please try again later. (sandbox fault injection)',
        { 'retry-after': retry },
      );
    case 504:
      return new NotionError(504, 'gateway_timeout', 'Gateway timeout. (sandbox fault injection)');
    default:
      return new NotionError(500, 'internal_server_error', 'Unexpected error occurred. (sandbox fault injection)');
  }
}

/** A 'timeout' fault: never answer; drop the connection after timeoutMs (or when the server closes). */
function holdThenDrop(res: ServerResponse, f: Fault, held: Set<ServerResponse>): Promise<void> {
  held.add(res);
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      res.destroy();
      resolve();
    }, f.timeoutMs ?? 30_000);
    res.on('close', () => {
      clearTimeout(t);
      held.delete(res);
      resolve();
    });
  });
}
