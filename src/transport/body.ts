/**
 * The one JSON body reader of both surfaces. It runs after authentication (a caller without credentials never gets a
 * byte buffered) and bounds what a slow or hostile client can hold: the size (Content-Length checked before reading),
 * the time the whole body may take, the encoding (strict UTF-8) and the nesting depth (deep nesting overflows the
 * stack of every recursive consumer downstream: JSON.stringify, validators, fingerprints).
 */
import type { Context } from 'koa';
import { GatewayError } from '../shared/errors.ts';

export interface BodyLimits {
  maxBytes: number;
  /** The whole body must arrive within this time, however it trickles in. */
  timeoutMs: number;
}

/** Nesting a Notion body ever needs is far below this (children nest 2 levels, compound filters 2). */
export const MAX_JSON_DEPTH = 64;

/** Whether the request announces a body (Content-Length > 0 or chunked), without reading it. */
export function announcesBody(ctx: Context): boolean {
  const length = ctx.get('Content-Length');
  return ctx.get('Transfer-Encoding') !== '' || (length !== '' && length !== '0');
}

/** Media types the JSON reader takes; `strict` (MCP) is application/json only, as the MCP transports require. */
function isJson(ctx: Context, strict: boolean): boolean {
  const type = (ctx.get('Content-Type').split(';')[0] ?? '').trim().toLowerCase();
  if (type === 'application/json') return true;
  return !strict && /^application\/[a-z0-9.+-]+\+json$/.test(type);
}

export const tooLarge = (maxBytes: number) =>
  new GatewayError('payload_too_large', `The request body is larger than ${maxBytes} bytes.`, {
    limit_bytes: maxBytes,
  });

/**
 * Reads and parses the JSON body; `undefined` when there is none. Throws GatewayError: 415 (not JSON, or compressed),
 * 413 (over the limit, refused from Content-Length before reading), 408 (too slow), 400 (invalid UTF-8, invalid JSON,
 * nested deeper than MAX_JSON_DEPTH).
 */
export async function readJsonBody(
  ctx: Context,
  limits: BodyLimits,
  options: { strictType?: boolean } = {},
): Promise<unknown> {
  if (!announcesBody(ctx)) return undefined;
  const encoding = ctx.get('Content-Encoding').trim().toLowerCase();
  if (!isJson(ctx, options.strictType === true) || (encoding !== '' && encoding !== 'identity')) {
    throw new GatewayError(
      'unsupported_media_type',
      'Send the body as uncompressed JSON with `Content-Type: application/json`.',
      { content_type: ctx.get('Content-Type').slice(0, 100) || null },
    );
  }
  const declared = Number(ctx.get('Content-Length') || Number.NaN);
  if (declared > limits.maxBytes) throw tooLarge(limits.maxBytes);
  const raw = await readRaw(ctx, limits);
  if (raw.length === 0) return undefined;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    throw new GatewayError('bad_request', 'The request body is not valid UTF-8.');
  }
  const depth = maxDepth(text);
  if (depth > MAX_JSON_DEPTH) {
    throw new GatewayError('bad_request', `The request body nests deeper than ${MAX_JSON_DEPTH} levels.`, {
      limit_depth: MAX_JSON_DEPTH,
    });
  }
  try {
    return JSON.parse(text);
  } catch {
    // V8's message quotes the input, which may hold a secret: say only what is wrong.
    throw new GatewayError('bad_request', 'The request body is not valid JSON.');
  }
}

function readRaw(ctx: Context, { maxBytes, timeoutMs }: BodyLimits): Promise<Buffer> {
  const req = ctx.req;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const finish = (error: GatewayError | null) => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onError);
      if (error) {
        // The rest of the body is not wanted: close the connection once the error is answered.
        ctx.set('Connection', 'close');
        req.pause();
        reject(error);
      } else resolve(Buffer.concat(chunks, received));
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxBytes) finish(tooLarge(maxBytes));
      else chunks.push(chunk);
    };
    const onEnd = () => finish(null);
    const onError = () => finish(new GatewayError('bad_request', 'The request body was interrupted.'));
    const timer = setTimeout(
      () =>
        finish(
          new GatewayError('request_timeout', `The request body did not arrive within ${timeoutMs} ms.`, {
            timeout_ms: timeoutMs,
          }),
        ),
      timeoutMs,
    );
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onError);
    req.once('aborted', onError);
  });
}

/** Deepest array/object nesting of a JSON text, scanned without recursion (strings skipped). */
export function maxDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > deepest) deepest = depth;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return deepest;
}
