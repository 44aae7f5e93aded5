import type { Logger } from 'pino';
import type { NotionClients } from '../notion/client.ts';
import type { ConnectionRegistry, Principal } from './ports.ts';

/** Which surface a call came through: recorded in logs and, later, in the audit log. */
export type Actor = 'chatgpt_action' | 'chatgpt_mcp';

/** What the engine is given for one call. Adapters build it; operations never see HTTP or MCP objects. */
export interface EngineContext {
  requestId: string;
  actor: Actor;
  principal: Principal;
  logger: Logger;
}

/** Long-lived services the engine operations use, built once in src/app.ts. */
export interface EngineServices {
  connections: ConnectionRegistry;
  notion: NotionClients;
  limits: { maxResponseChars: number; maxNotionBodyBytes: number };
  build: { version: string; sha: string };
  defaultConnectionId: string | null;
}
