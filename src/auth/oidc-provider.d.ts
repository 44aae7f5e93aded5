/** The few parts of oidc-provider 9 (which ships no types) the gateway uses. */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';
  import type Koa from 'koa';

  export interface ClientRecord {
    clientId: string;
    clientName?: string;
    clientUri?: string;
    redirectUris: string[];
    clientAuthMethod: string;
    grantTypeAllowed(type: string): boolean;
  }

  export interface InteractionRecord {
    uid: string;
    prompt: { name: string; reasons: string[]; details: Record<string, unknown> };
    params: Record<string, unknown> & { client_id: string; scope?: string; resource?: string | string[] };
    session?: { accountId?: string };
    grantId?: string;
    returnTo: string;
  }

  export interface GrantRecord {
    accountId: string;
    clientId: string;
    addOIDCScope(scope: string): void;
    addResourceScope(resource: string, scope: string): void;
    save(ttl?: number): Promise<string>;
    destroy(): Promise<void>;
  }

  export default class Provider extends Koa {
    constructor(issuer: string, configuration: Record<string, unknown>);
    issuer: string;
    Client: {
      find(id: string): Promise<ClientRecord | undefined>;
      validate(metadata: Record<string, unknown>): Promise<unknown>;
    };
    Grant: {
      new (init: { accountId: string; clientId: string }): GrantRecord;
      find(id: string): Promise<GrantRecord | undefined>;
    };
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionRecord>;
    interactionFinished(
      req: IncomingMessage,
      res: ServerResponse,
      result: Record<string, unknown>,
      options?: { mergeWithLastSubmission?: boolean },
    ): Promise<void>;
  }

  export const errors: Record<string, new (description?: string) => Error>;
}
