/**
 * The pre-registered confidential client for Custom GPT Actions (ChatGPT's GPT editor cannot register itself):
 * `client_secret_post` at the token endpoint, no PKCE (the GPT editor sends none), `state` required, redirect URIs
 * `https://chat.openai.com/aip/<gpt-id>/oauth/callback` and `https://chatgpt.com/aip/<gpt-id>/oauth/callback`.
 * Created or replaced by `npm run oauth:client`.
 */
import { randomBytes } from 'node:crypto';
import type { TokenCipher } from '../security/token-cipher.ts';
import type { Store } from '../store/store.ts';
import { createAdapterClass } from './adapter.ts';
import { NOTION_SCOPE } from './tokens.ts';

/** Client ids of Actions clients start with this (dynamically registered clients get random ids without it). */
export const ACTIONS_CLIENT_PREFIX = 'gpt-actions-';
export const isActionsClient = (clientId: string) => clientId.startsWith(ACTIONS_CLIENT_PREFIX);

/** Both hosts ChatGPT calls back on for a GPT. */
export const gptRedirectUris = (gptId: string): string[] => {
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(gptId)) throw new Error('the GPT id may contain letters, digits, _ and - only');
  return [`https://chat.openai.com/aip/${gptId}/oauth/callback`, `https://chatgpt.com/aip/${gptId}/oauth/callback`];
};

export interface ActionsClient {
  client_id: string;
  client_secret: string;
  redirect_uris: string[];
}

export async function registerActionsClient(
  store: Store,
  cipher: TokenCipher,
  input: { name: string; redirectUris: string[]; clientId?: string },
): Promise<ActionsClient> {
  if (input.redirectUris.length === 0) throw new Error('at least one redirect URI is needed');
  for (const uri of input.redirectUris) {
    if (!/^https:\/\/[^/]+\//.test(uri)) throw new Error(`redirect URI ${uri} must be an absolute https URL`);
  }
  const clientId = input.clientId ?? `${ACTIONS_CLIENT_PREFIX}${randomBytes(9).toString('base64url')}`;
  if (!isActionsClient(clientId)) throw new Error(`an Actions client id starts with ${ACTIONS_CLIENT_PREFIX}`);
  const client = {
    client_id: clientId,
    client_secret: randomBytes(32).toString('base64url'),
    client_name: input.name,
    redirect_uris: input.redirectUris,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
    scope: `${NOTION_SCOPE} offline_access`,
  };
  const Adapter = createAdapterClass(store, cipher);
  await new Adapter('Client').upsert(clientId, client);
  return { client_id: client.client_id, client_secret: client.client_secret, redirect_uris: client.redirect_uris };
}
