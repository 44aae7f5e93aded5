/**
 * GET /: what a newcomer (or a browser) finds at the root — where the documents and the MCP endpoints are.
 * JSON by default; a small HTML page when the client prefers text/html.
 */
import Mustache from 'mustache';

export interface HomeIndex {
  name: string;
  version: string;
  links: { docs: string; openapi: string; openapi_full: string; mcp: string; sse: string; health: string };
  auth: string;
}

export function homeIndex(
  baseUrl: string,
  options: { version: string; mcpAuth: 'bearer' | 'none'; oauthIssuer?: string | null },
): HomeIndex {
  const oauth = options.oauthIssuer
    ? ` Or sign in with OAuth 2.1 (metadata: ${options.oauthIssuer}/.well-known/oauth-authorization-server).`
    : '';
  return {
    name: 'Notion Gateway',
    version: options.version,
    links: {
      docs: `${baseUrl}/docs`,
      openapi: `${baseUrl}/openapi.json`,
      openapi_full: `${baseUrl}/openapi.full.json`,
      mcp: `${baseUrl}/mcp`,
      sse: `${baseUrl}/sse`,
      health: `${baseUrl}/health`,
    },
    auth:
      options.mcpAuth === 'none'
        ? `/v1/* needs Authorization: Bearer <ACTION_API_TOKEN>; MCP runs unauthenticated (MCP_AUTH=none).${oauth}`
        : `/v1/* and MCP need Authorization: Bearer <ACTION_API_TOKEN>.${oauth}`,
  };
}

const LABELS: Record<keyof HomeIndex['links'], string> = {
  docs: 'API reference and MCP tools (a page for people)',
  openapi: 'OpenAPI document for Custom GPT Actions (import this URL)',
  openapi_full: 'OpenAPI document with every operation',
  mcp: 'MCP, Streamable HTTP (ChatGPT Developer Mode, MCP clients)',
  sse: 'MCP, legacy SSE',
  health: 'health check',
};

// Mustache escapes every {{value}}: the page holds no markup from configuration (PUBLIC_BASE_URL, version).
const HOME = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{name}}</title></head>
<body><h1>{{name}} {{version}}</h1>
<ul>
{{#links}}
<li><a href="{{url}}">{{url}}</a> — {{label}}</li>
{{/links}}
</ul>
<p>{{auth}}</p>
</body></html>
`;

export function homeHtml(index: HomeIndex): string {
  const links = (Object.keys(index.links) as (keyof HomeIndex['links'])[]).map((k) => ({
    url: index.links[k],
    label: LABELS[k],
  }));
  return Mustache.render(HOME, { ...index, links });
}
