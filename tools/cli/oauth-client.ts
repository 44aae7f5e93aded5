/**
 * `npm run oauth:client -- --gpt-id <id>`: registers the confidential OAuth client a Custom GPT's Actions use
 * (client_secret_post, no PKCE, state required) and prints its client id and secret, once — the secret is stored
 * encrypted and never shown again (run the command again with `--client-id` to replace the secret).
 *
 *   --gpt-id g-abc123            redirect URIs https://chat.openai.com/aip/<id>/oauth/callback and
 *                                https://chatgpt.com/aip/<id>/oauth/callback (the id is in the GPT editor's
 *                                callback URL, shown under Authentication once OAuth is chosen)
 *   --redirect-uri https://…     another redirect URI (repeatable; instead of or besides --gpt-id)
 *   --name "My GPT"              what the consent page calls the client (default "ChatGPT (Custom GPT)")
 *   --client-id gpt-actions-…    replace this client (new secret, new redirect URIs)
 *   --rotate-signing-key         put a new access-token signing key first (see src/auth/keys.ts), then exit
 */
import { parseArgs } from 'node:util';
import { createAdapterClass, recordStore } from '../../src/auth/adapter.ts';
import { gptRedirectUris, registerActionsClient } from '../../src/auth/clients.ts';
import { rotateSigningKey } from '../../src/auth/keys.ts';
import { loadConfig, storageOptions } from '../../src/config/env.ts';
import { openSecureStore } from '../../src/domain/secure-store.ts';

const { values } = parseArgs({
  options: {
    'gpt-id': { type: 'string' },
    'redirect-uri': { type: 'string', multiple: true },
    name: { type: 'string' },
    'client-id': { type: 'string' },
    'rotate-signing-key': { type: 'boolean' },
    help: { type: 'boolean' },
  },
});

if (values.help || (!values['gpt-id'] && !values['redirect-uri']?.length && !values['rotate-signing-key'])) {
  console.log(
    'Usage: npm run oauth:client -- --gpt-id <gpt id> [--redirect-uri https://…]… [--name "My GPT"] [--client-id gpt-actions-…]\n' +
      '       npm run oauth:client -- --rotate-signing-key',
  );
  process.exit(values.help ? 0 : 2);
}

try {
  const config = loadConfig();
  const { store, cipher } = await openSecureStore({
    ...storageOptions(config),
  });
  try {
    if (values['rotate-signing-key']) {
      const kid = await rotateSigningKey(recordStore(createAdapterClass(store, cipher), 'ServerKey'));
      console.log(`new signing key ${kid}: it signs after the next start; older keys keep verifying.`);
    } else {
      const redirectUris = [
        ...(values['gpt-id'] ? gptRedirectUris(values['gpt-id']) : []),
        ...(values['redirect-uri'] ?? []),
      ];
      const client = await registerActionsClient(store, cipher, {
        name: values.name ?? 'ChatGPT (Custom GPT)',
        redirectUris,
        clientId: values['client-id'],
      });
      const base = config.publicBaseUrl ?? 'https://your-host';
      // The GPT editor's field names, in its order.
      console.log(`Client ID:             ${client.client_id}`);
      console.log(`Client Secret:         ${client.client_secret}`);
      console.log(`Authorization URL:     ${base}/oauth/authorize`);
      console.log(`Token URL:             ${base}/oauth/token`);
      console.log('Scope:                 notion');
      console.log('Token Exchange Method: Default (POST request)');
      console.log(`Redirect URIs:         ${client.redirect_uris.join(', ')}`);
      if (!config.oauthServer) console.log('Note: set OAUTH=on and PUBLIC_BASE_URL for the gateway to use it.');
    }
  } finally {
    await store.close();
  }
} catch (e) {
  console.error(`oauth:client failed: ${(e as Error).message}`);
  process.exit(1);
}
