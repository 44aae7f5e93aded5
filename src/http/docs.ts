/**
 * GET /docs: the REST reference (Redoc rendering /openapi.full.json) and the MCP tools by toolset, on one page.
 * Public, like the documents it renders. Redoc's standalone bundle is served from the installed package (no CDN),
 * under a Content-Security-Policy that lets the page load only its own origin.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type Router from '@koa/router';
import Mustache from 'mustache';
import { TOOLSETS, type Toolset } from '../contract/openapi.ts';

interface ListedTool {
  name: string;
  title?: string;
  description?: string;
  annotations?: { readOnlyHint?: boolean };
  _meta: { toolset: Toolset };
}

export const REDOC_PATH = '/docs/redoc.standalone.js';

/**
 * Redoc inserts its styles at run time (styled-components) and runs its search index in a Web Worker made from a
 * blob: URL; everything else comes from this origin. No inline script: Redoc starts itself on the `<redoc>` element.
 */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  'worker-src blob:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

// Mustache escapes every {{value}}: tool names and descriptions come from the contract, never as markup.
const DOCS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Notion Gateway · API reference</title><link rel="icon" href="data:,">
<style>
body { margin: 0; font-family: system-ui, sans-serif; }
#mcp-tools { padding: 16px 24px; border-bottom: 1px solid #ddd; font-size: 14px; }
#mcp-tools h2 { margin: 0 0 4px; } #mcp-tools h3 { margin: 16px 0 4px; }
#mcp-tools table { border-collapse: collapse; width: 100%; }
#mcp-tools th, #mcp-tools td { text-align: left; vertical-align: top; padding: 3px 8px; border-bottom: 1px solid #eee; }
#mcp-tools td.ro { color: #1a7f37; white-space: nowrap; } #mcp-tools td.rw { color: #9a6700; white-space: nowrap; }
</style></head>
<body>
<section id="mcp-tools">
<h2>MCP tools</h2>
<p>At <code>/mcp</code> (Streamable HTTP) and <code>/sse</code> (legacy SSE). A client gets the toolsets listed by
default unless its URL asks for others: <code>/mcp?toolsets=all</code>, <code>/mcp?toolsets=core,pages</code>.
Each tool is the REST operation of the same name in the reference below it (<a href="/openapi.full.json">/openapi.full.json</a>).</p>
{{#toolsets}}
<section class="toolset" id="toolset-{{name}}"><h3><code>{{name}}</code>{{#listed}} (listed by default){{/listed}}</h3>
<table><thead><tr><th>tool</th><th>title</th><th>kind</th><th>description</th></tr></thead><tbody>
{{#tools}}
<tr data-tool="{{name}}"><td><code>{{name}}</code></td><td>{{title}}</td><td class="{{kindClass}}">{{kind}}</td><td>{{description}}</td></tr>
{{/tools}}
</tbody></table></section>
{{/toolsets}}
</section>
<redoc spec-url="/openapi.full.json"></redoc>
<script src="${REDOC_PATH}"></script>
</body></html>
`;

function docsHtml(tools: ListedTool[], defaultToolsets: readonly string[]): string {
  const toolsets = TOOLSETS.map((toolset) => ({
    name: toolset,
    listed: defaultToolsets.includes(toolset) || defaultToolsets.includes('all'),
    tools: tools
      .filter((t) => t._meta.toolset === toolset)
      .map((t) => {
        const readOnly = t.annotations?.readOnlyHint === true;
        return {
          name: t.name,
          title: t.title ?? '',
          description: t.description ?? '',
          kind: readOnly ? 'read-only' : 'writes',
          kindClass: readOnly ? 'ro' : 'rw',
        };
      }),
  })).filter((set) => set.tools.length > 0);
  return Mustache.render(DOCS_PAGE, { toolsets });
}

/** Mounts GET /docs and Redoc's bundle. Both are read once, at their first request (1 MB the start does not need). */
export function mountDocs(router: Router, options: { defaultToolsets: readonly string[] }): void {
  let page: string | undefined;
  let bundle: Buffer | undefined;
  const pageHtml = () => {
    const generated = join(import.meta.dirname, '../../generated/mcp-tools.json');
    const { tools } = JSON.parse(readFileSync(generated, 'utf8')) as { tools: ListedTool[] };
    page ??= docsHtml(tools, options.defaultToolsets);
    return page;
  };
  router.get('/docs', (ctx) => {
    ctx.set('Content-Security-Policy', DOCS_CSP);
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = page ?? pageHtml();
  });
  router.get(REDOC_PATH, (ctx) => {
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Cache-Control', 'public, max-age=86400');
    ctx.type = 'text/javascript; charset=utf-8';
    bundle ??= readFileSync(createRequire(import.meta.url).resolve('redoc/bundles/redoc.standalone.js'));
    ctx.body = bundle;
  });
}
