/** The MCP SDK's own Client, connected over Streamable HTTP or legacy SSE. */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

export type McpTransportKind = 'streamable-http' | 'sse';

export async function connectMcp(
  baseUrl: string,
  kind: McpTransportKind,
  token: string | null,
  /** postTo: another gateway's origin that receives the SSE session's POSTs (replicas behind a balancer). */
  options: { toolsets?: string; postTo?: string } = {},
): Promise<Client> {
  const endpoint = (path: string) => {
    const url = new URL(path, baseUrl);
    if (options.toolsets) url.searchParams.set('toolsets', options.toolsets);
    return url;
  };
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const client = new Client({ name: 'notion-gateway-tests', version: '1.0.0' });
  const transport =
    kind === 'streamable-http'
      ? new StreamableHTTPClientTransport(endpoint('/mcp'), { requestInit: { headers } })
      : new SSEClientTransport(endpoint('/sse'), {
          requestInit: { headers },
          ...(options.postTo
            ? { fetch: (url: string | URL, init?: RequestInit) => fetch(retarget(url, options.postTo!), init) }
            : {}),
          // The SSE stream itself is opened with EventSource, which takes its headers from here.
          eventSourceInit: {
            fetch: (url, init) => fetch(url, { ...init, headers: { ...(init?.headers ?? {}), ...headers } }),
          },
        });
  await client.connect(transport);
  return client;
}

/** The same path and query on another origin. */
function retarget(url: string | URL, origin: string): URL {
  const original = new URL(url);
  return new URL(`${original.pathname}${original.search}`, origin);
}
