/**
 * Streamable HTTP for a stateless server that answers in JSON: what the SDK's `StreamableHTTPServerTransport` does
 * with `{ sessionIdGenerator: undefined, enableJsonResponse: true }`, as an implementation of the SDK's own
 * `Transport` interface. The SDK's Node transport converts every request and answer between Node and the Fetch API
 * (@hono/node-server builds a Request, Headers, a body stream and a Response per call) and must be connected and
 * closed per request; that was a third of the gateway's CPU per MCP call. This one reads what Koa already parsed,
 * stays connected to its pooled server, and carries one HTTP exchange at a time.
 *
 * It answers exactly what the SDK transport answers (test/unit/mcp-json-transport.test.ts sends the same requests to
 * both): 406 without `Accept: application/json, text/event-stream`, 400 on an unknown `MCP-Protocol-Version`, on a
 * batch over the SDK's limit, on a message that is not JSON-RPC, on an initialize inside a batch; 202 for
 * notifications and responses only; else 200 with the response, or the array of responses of a batch.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  type JSONRPCMessage,
  JSONRPCMessageSchema,
  type JSONRPCRequest,
  type RequestId,
  SUPPORTED_PROTOCOL_VERSIONS,
} from '@modelcontextprotocol/sdk/types.js';

/**
 * The most messages one JSON-RPC batch may carry: the bound the SDK's Streamable HTTP transport applies (100), kept
 * here rather than imported from the SDK's internal `server/requestBody.js`, which is not public API.
 */
const MAX_BATCH_SIZE = 100;

// Shape checks on messages already known to be JSON-RPC (parsed by JSONRPCMessageSchema on the way in, built by the
// SDK on the way out). The SDK's own `isJSONRPC…` guards re-parse the whole message with zod each time, result
// included: ≈ 3 % of the CPU of an MCP call. An initialize with bad params never gets here (routes.ts refuses it).
const isRequest = (m: JSONRPCMessage): m is JSONRPCRequest => 'method' in m && 'id' in m;
const isInitialize = (m: JSONRPCMessage) => isRequest(m) && m.method === 'initialize';
const isResponse = (m: JSONRPCMessage): m is JSONRPCMessage & { id?: RequestId } =>
  'id' in m && ('result' in m || 'error' in m);

/** What to answer the HTTP request with; `body` undefined means no body (202). */
export interface JsonExchangeAnswer {
  status: number;
  body?: unknown;
}

interface OpenExchange {
  /** Request id → its response, null until the server sends it. */
  responses: Map<RequestId, JSONRPCMessage | null>;
  order: RequestId[];
  finish(answer: JsonExchangeAnswer): void;
}

/** A JSON-RPC error answer with no id, as the SDK transport writes for problems of the HTTP request itself. */
const refusal = (status: number, code: number, message: string): JsonExchangeAnswer => ({
  status,
  body: { jsonrpc: '2.0', error: { code, message }, id: null },
});

function acceptsBoth(accept: string | undefined): boolean {
  // A comma-separated list: the SDK checks by substring too.
  return accept?.includes('application/json') === true && accept.includes('text/event-stream');
}

function parseMessages(raw: unknown): JSONRPCMessage[] | null {
  const candidates = Array.isArray(raw) ? raw : [raw];
  const messages: JSONRPCMessage[] = [];
  for (const candidate of candidates) {
    const parsed = JSONRPCMessageSchema.safeParse(candidate);
    if (!parsed.success) return null;
    messages.push(parsed.data);
  }
  return messages;
}

export class StatelessJsonTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: Transport['onmessage'];
  private open: OpenExchange | null = null;

  async start(): Promise<void> {}

  async close(): Promise<void> {
    const open = this.open;
    this.open = null;
    open?.finish(refusal(503, -32000, 'The server is shutting down.'));
    this.onclose?.();
  }

  /**
   * Hands one POSTed body (already parsed) to the server and resolves with what to answer once every request in it
   * has its response. One exchange at a time: the pool gives a transport to one HTTP request only.
   */
  async exchange(headers: IncomingHttpHeaders, raw: unknown): Promise<JsonExchangeAnswer> {
    if (this.open) throw new Error('StatelessJsonTransport carries one exchange at a time');
    if (!acceptsBoth(headers.accept)) {
      return refusal(406, -32000, 'Not Acceptable: Client must accept both application/json and text/event-stream');
    }
    if (Array.isArray(raw) && raw.length > MAX_BATCH_SIZE) {
      return refusal(400, -32600, `Invalid Request: Batch must not exceed ${MAX_BATCH_SIZE} messages`);
    }
    const messages = parseMessages(raw);
    if (!messages) return refusal(400, -32700, 'Parse error: Invalid JSON-RPC message');
    const initializing = messages.some(isInitialize);
    if (initializing && messages.length > 1) {
      return refusal(400, -32600, 'Invalid Request: Only one initialization request is allowed');
    }
    const version = headers['mcp-protocol-version'];
    if (!initializing && version !== undefined && !SUPPORTED_PROTOCOL_VERSIONS.includes(String(version))) {
      return refusal(
        400,
        -32000,
        `Bad Request: Unsupported protocol version: ${version} (supported versions: ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')})`,
      );
    }
    const extra = { requestInfo: { headers } };
    const requests = messages.filter(isRequest);
    if (requests.length === 0) {
      // Notifications and responses only: accepted, nothing to wait for.
      for (const message of messages) this.onmessage?.(message, extra);
      return { status: 202 };
    }
    return new Promise<JsonExchangeAnswer>((resolve) => {
      this.open = {
        responses: new Map(requests.map((r) => [r.id, null])),
        order: requests.map((r) => r.id),
        finish: resolve,
      };
      for (const message of messages) this.onmessage?.(message, extra);
    });
  }

  async send(message: JSONRPCMessage): Promise<void> {
    const open = this.open;
    // Notifications and server-to-client requests have no stream to travel on in JSON mode: dropped, as by the SDK.
    if (!open || !isResponse(message)) return;
    const id = message.id;
    if (id === undefined || !open.responses.has(id)) return;
    open.responses.set(id, message);
    for (const pending of open.order) if (open.responses.get(pending) === null) return;
    this.open = null;
    const answers = open.order.map((each) => open.responses.get(each));
    // One request, one bare response, even inside a batch (the SDK's choice, which its clients expect).
    open.finish({ status: 200, body: answers.length === 1 ? answers[0] : answers });
  }
}
