/**
 * The generated OpenAPI documents as the running server uses them: their shape, their operations, and the copy
 * served to clients with `servers[0].url` set to the public base URL.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export type Schema = Record<string, unknown>;
export interface OpenApiDocument {
  openapi: string;
  info: Record<string, unknown>;
  servers?: Array<{ url: string; description?: string }>;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema>; securitySchemes?: Record<string, unknown> };
  [key: string]: unknown;
}
export interface Operation {
  operationId: string;
  summary?: string;
  description?: string;
  parameters?: Array<Record<string, unknown>>;
  requestBody?: { content: Record<string, { schema: Schema }>; required?: boolean };
  responses: Record<string, { description: string; content?: Record<string, { schema: Schema }> }>;
  'x-openai-isConsequential'?: boolean;
  'x-mcp'?: McpExtension;
  'x-engine'?: EngineExtension;
  /** Answered by HTTP glue (a browser redirect), not by an engine operation. */
  'x-http-only'?: boolean;
  [key: string]: unknown;
}
/** Groups of MCP tools a client is given (MCP_TOOLSETS, or `?toolsets=` on the MCP URL). */
export const TOOLSETS = ['core', 'research', 'rows', 'databases', 'pages', 'jobs', 'admin'] as const;
export type Toolset = (typeof TOOLSETS)[number];

export interface McpExtension {
  tool: string;
  title: string;
  toolset: Toolset;
  annotations: { readOnlyHint: boolean; destructiveHint: boolean; idempotentHint: boolean; openWorldHint: boolean };
}

/** How the engine pipeline treats an operation (spec/lib/contract.tsp explains the fields). */
export interface EngineExtension {
  writes: boolean;
  connection: 'required' | 'none';
}

export const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/** Every operation of a document with its method and path. */
export function operationsOf(doc: OpenApiDocument): Array<{ method: string; path: string; op: Operation }> {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    HTTP_METHODS.filter((m) => item[m]).map((method) => ({ method, path, op: item[method] as Operation })),
  );
}

const generatedDir = join(import.meta.dirname, '../../generated');

export function loadGeneratedDocument(name: 'openapi.full.json' | 'openapi.actions.json'): OpenApiDocument {
  return JSON.parse(readFileSync(join(generatedDir, name), 'utf8')) as OpenApiDocument;
}

/** The document as served: the committed file carries a placeholder server that the public base URL replaces. */
export function withServer(doc: OpenApiDocument, baseUrl: string): OpenApiDocument {
  return { ...doc, servers: [{ url: baseUrl, description: 'This gateway' }] };
}

export interface OAuthFlow {
  authorizationUrl: string;
  tokenUrl: string;
  refreshUrl?: string;
  scopes: Record<string, string>;
}

/**
 * The Actions document when the authorization server is on: one OAuth 2.0 authorization-code scheme instead of the
 * static bearer (the GPT editor accepts a single scheme per document), every requirement renamed to it; public
 * operations (`security: [{}]`) stay public. The server itself keeps accepting the operator's token.
 */
export function withOAuth(doc: OpenApiDocument, flow: OAuthFlow): OpenApiDocument {
  const scopes = Object.keys(flow.scopes);
  const rename = (requirements: unknown) =>
    Array.isArray(requirements)
      ? requirements.map((r: Record<string, unknown>) => ('BearerAuth' in r ? { OAuth2: scopes } : r))
      : requirements;
  const paths = Object.fromEntries(
    Object.entries(doc.paths).map(([path, item]) => [
      path,
      Object.fromEntries(
        Object.entries(item).map(([method, op]) => [
          method,
          op && typeof op === 'object' && 'security' in op ? { ...op, security: rename(op.security) } : op,
        ]),
      ),
    ]),
  ) as OpenApiDocument['paths'];
  return {
    ...doc,
    paths,
    security: rename(doc.security),
    components: {
      ...doc.components,
      securitySchemes: { OAuth2: { type: 'oauth2', flows: { authorizationCode: flow } } },
    },
  };
}
