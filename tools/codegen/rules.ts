/**
 * Rules every operation must follow before anything is generated. A mislabelled operation stops the build
 * (like github-mcp-server refusing to start with a read-only tool whose readOnlyHint is not true), so a wrong
 * annotation never reaches a client.
 */
import { TOOLSETS } from '../../src/contract/openapi.ts';
import { type EngineExtension, type McpExtension, type OpenApiDocument, operationsOf } from './normalise.ts';

export const NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const MAX_ACTIONS_OPERATIONS = 12;

export function assertContractRules(full: OpenApiDocument, actions: OpenApiDocument): void {
  const problems: string[] = [];
  const toolNames = new Set<string>();
  const fullOps = new Map(operationsOf(full).map((o) => [o.op.operationId, o]));

  for (const { method, path, op } of fullOps.values()) {
    const where = `${method.toUpperCase()} ${path} (${op.operationId})`;
    if (!NAME_PATTERN.test(op.operationId ?? '')) problems.push(`${where}: operationId must match ${NAME_PATTERN}`);
    const consequential = op['x-openai-isConsequential'];
    if (typeof consequential !== 'boolean')
      problems.push(
        `${where}: declare it with @read, @write, @readTool, @writeTool or @browserOnly (spec/lib/contract.tsp)`,
      );
    else if (method === 'get' && consequential) problems.push(`${where}: a GET cannot be consequential`);
    const engine = op['x-engine'] as EngineExtension | undefined;
    if (!op['x-http-only']) {
      if (typeof engine?.writes !== 'boolean')
        problems.push(`${where}: declare x-engine with @read, @write, @readTool or @writeTool (spec/lib/contract.tsp)`);
      else if (engine.writes !== consequential) {
        problems.push(`${where}: x-engine.writes must equal x-openai-isConsequential`);
      }
      if (engine?.connection !== 'required' && engine?.connection !== 'none') {
        problems.push(`${where}: x-engine.connection must be "required" or "none"`);
      }
    }
    const mcp = op['x-mcp'] as McpExtension | undefined;
    if (!mcp) continue;
    if (op['x-http-only'])
      problems.push(`${where}: an x-http-only operation (a browser redirect) cannot be an MCP tool`);
    if (!NAME_PATTERN.test(mcp.tool ?? '')) problems.push(`${where}: MCP tool name must match ${NAME_PATTERN}`);
    if (toolNames.has(mcp.tool)) problems.push(`${where}: MCP tool name ${mcp.tool} is used twice`);
    toolNames.add(mcp.tool);
    if (!mcp.title) problems.push(`${where}: x-mcp.title is required`);
    if (!TOOLSETS.includes(mcp.toolset)) problems.push(`${where}: x-mcp.toolset must be one of ${TOOLSETS.join(', ')}`);
    const hints = ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'] as const;
    for (const hint of hints) {
      if (typeof mcp.annotations?.[hint] !== 'boolean')
        problems.push(`${where}: x-mcp.annotations.${hint} must be set`);
    }
    if (mcp.annotations?.readOnlyHint && mcp.annotations.destructiveHint) {
      problems.push(`${where}: a read-only tool cannot be destructive`);
    }
    // A read (search is a POST) is never consequential; everything else is.
    if (mcp.annotations?.readOnlyHint === consequential) {
      problems.push(`${where}: x-openai-isConsequential must be the opposite of readOnlyHint`);
    }
    if (engine && mcp.annotations?.readOnlyHint === engine.writes) {
      problems.push(`${where}: x-engine.writes must be the opposite of readOnlyHint`);
    }
  }

  const actionOps = operationsOf(actions);
  if (actionOps.length > MAX_ACTIONS_OPERATIONS) {
    problems.push(`Actions document has ${actionOps.length} operations; at most ${MAX_ACTIONS_OPERATIONS}`);
  }
  for (const { op } of actionOps) {
    const twin = fullOps.get(op.operationId);
    if (!twin) problems.push(`Actions operation ${op.operationId} is missing from the full document`);
    else if (JSON.stringify(twin.op) !== JSON.stringify(op)) {
      problems.push(`Actions operation ${op.operationId} differs from its full-document declaration`);
    }
  }

  if (problems.length > 0) throw new Error(`spec/ breaks the contract rules:\n- ${problems.join('\n- ')}`);
}
