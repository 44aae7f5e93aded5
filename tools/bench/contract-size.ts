/**
 * Prints the size of the public contract: operations in each OpenAPI document and the size in characters of the
 * MCP tools/list response, measured on a running gateway over Streamable HTTP.
 *   npm run contract:size
 */
import { createGateway } from '../../src/app.ts';
import { loadConfig } from '../../src/config/env.ts';
import { loadGeneratedDocument, operationsOf } from '../../src/contract/openapi.ts';
import { createLogger } from '../../src/logging.ts';

const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

async function rpc(url: string, body: unknown): Promise<string> {
  const res = await fetch(`${url}/mcp`, { method: 'POST', headers, body: JSON.stringify(body) });
  return res.text();
}

const config = loadConfig({ ...process.env, MCP_AUTH: 'none', LOG_LEVEL: 'silent' });
const gateway = await createGateway(config, createLogger('silent'));
const { url } = await gateway.listen(0, '127.0.0.1');
try {
  const initialize = {
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'contract-size', version: '1' } },
  };
  await rpc(url, initialize);
  const toolsList = await rpc(url, { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} });
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
