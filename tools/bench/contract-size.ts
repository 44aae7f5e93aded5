/**
 * Prints the size of the public contract: operations in each OpenAPI document and the size in characters of the
 * MCP tools/list response, measured on a running gateway over Streamable HTTP.
 *   npm run contract:size
 */
import { createGateway } from '../../src/app.ts';
import { loadConfig } from '../../src/config/env.ts';
import { loadGeneratedDocument, operationsOf } from '../../src/contract/openapi.ts';
import { createLogger } from '../../src/shared/logging.ts';
import { toolsListText } from './lib.ts';

const config = loadConfig({ ...process.env, MCP_AUTH: 'none', LOG_LEVEL: 'silent' });
const gateway = await createGateway(config, createLogger('silent'));
const { url } = await gateway.listen(0, '127.0.0.1');
try {
  const toolsList = await toolsListText(`${url}/mcp`);
  const tools = (JSON.parse(toolsList) as { result: { tools: unknown[] } }).result.tools;
  const actions = operationsOf(loadGeneratedDocument('openapi.actions.json')).length;
  const full = operationsOf(loadGeneratedDocument('openapi.full.json')).length;
  console.log(`Actions OpenAPI operations: ${actions} (limit 12)`);
  console.log(`Full OpenAPI operations:    ${full}`);
  console.log(`MCP tools:                  ${tools.length}`);
  console.log(`MCP tools/list response:    ${toolsList.length} characters`);
} finally {
  await gateway.close();
}
