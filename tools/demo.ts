/**
 * `npm run demo`: the whole product on one machine, no Notion account needed. Starts the Notion sandbox seeded with a
 * small workspace (a root page, Projects ⇄ Tasks data sources with a few rows), then the gateway connected to it on
 * an in-memory store, and prints the URLs to use. Ctrl-C stops both.
 *   npm run demo -- --port 8080 --sandbox-port 4010
 */
import { parseArgs } from 'node:util';
import { createGateway } from '../src/app.ts';
import { loadConfig } from '../src/config/env.ts';
import { createLogger } from '../src/shared/logging.ts';
import { startSandbox } from './notion-sandbox/index.ts';
import { seedDemoWorkspace } from './notion-sandbox/seed.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8080' },
    'sandbox-port': { type: 'string', default: '4010' },
    'api-token': { type: 'string', default: 'demo-api-token-not-for-production' },
  },
});

const sandboxToken = 'secret_demo_workspace';
const sandbox = await startSandbox({
  port: Number(values['sandbox-port']),
  workspaces: [{ token: sandboxToken, name: 'Demo workspace' }],
});
const demo = await seedDemoWorkspace(sandbox, sandboxToken);

const config = loadConfig({
  ...process.env,
  PORT: values.port,
  HOST: '127.0.0.1',
  ACTION_API_TOKEN: values['api-token'],
  MCP_AUTH: 'none',
  NOTION_TOKEN: sandboxToken,
  NOTION_BASE_URL: sandbox.url,
  PGLITE_DATA_DIR: 'memory://',
  DATABASE_URL: '',
});
const logger = createLogger(process.env.LOG_LEVEL ?? 'warn');
const gateway = await createGateway(config, logger);
const { url } = await gateway.listen();

console.log(`
Notion Gateway demo
  Notion sandbox        ${sandbox.url}   (admin: ${sandbox.url}/__sandbox/requests)
  Gateway               ${url}
  Actions OpenAPI       ${url}/openapi.json
  MCP (Streamable HTTP) ${url}/mcp          (no auth in the demo: MCP_AUTH=none)
  MCP (legacy SSE)      ${url}/sse
  REST API token        ${values['api-token']}

Seeded: root page ${demo.rootPageId}
        Projects data source ${demo.projects.dataSourceId} (${demo.projects.pageIds.length} rows)
        Tasks data source    ${demo.tasks.dataSourceId} (${demo.tasks.pageIds.length} rows)

Try:
  curl -s -H 'Authorization: Bearer ${values['api-token']}' -H 'content-type: application/json' \\
       -d '{"query":"Demo"}' ${url}/v1/search
  npx @modelcontextprotocol/inspector   (then connect to ${url}/mcp)
`);

const stop = async () => {
  await gateway.close();
  await sandbox.close();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
