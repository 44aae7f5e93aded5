/**
 * `npm run rotate-keys`: re-encrypts every stored token under the current key — the first id in
 * TOKEN_ENCRYPTION_KEYS. Procedure: put the new key first (`TOKEN_ENCRYPTION_KEYS=new:…,old:…`), restart or run
 * this, then drop `old` from the list. Prints how many rows were re-encrypted; never prints a key or a token.
 */
import { reencryptRecords } from '../../src/auth/adapter.ts';
import { loadConfig, storageOptions } from '../../src/config/env.ts';
import { openSecureStore, rotateKeys, verifyStoredKeys } from '../../src/domain/secure-store.ts';

try {
  const config = loadConfig();
  const { store, cipher } = await openSecureStore({
    ...storageOptions(config),
    verifyKeys: false,
  });
  try {
    await verifyStoredKeys(store, cipher);
    const result = await rotateKeys(store, cipher);
    console.log(
      `re-encrypted ${result.reencrypted} row(s) under key id '${result.currentKeyId}' (${result.unchanged} already current) in ${store.driver} at ${store.location}`,
    );
    // The OAuth authorization server's records (clients, grants, refresh tokens, signing keys) too.
    console.log(`re-encrypted ${await reencryptRecords(store, cipher)} OAuth record(s)`);
    const inUse = await store.connections.keyIdsInUse();
    console.log(`key ids now in use: ${inUse.map((k) => `${k.key_id} (${k.rows})`).join(', ') || 'none'}`);
  } finally {
    await store.close();
  }
} catch (e) {
  console.error(`rotate-keys failed: ${(e as Error).message}`);
  process.exit(1);
}
