/**
 * The authorization server's storage: oidc-provider records in `oauth_records`, ids hashed and payloads encrypted
 * (a dump holds no token or secret), expiry, single use, revocation by grant, key rotation; its signing and cookie
 * keys generated once and kept.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAdapterClass, purgeExpiredRecords, recordStore, reencryptRecords } from '../../src/auth/adapter.ts';
import { KEEP_SIGNING_KEYS, loadServerKeys, rotateSigningKey } from '../../src/auth/keys.ts';
import { generateKeySpec, parseKeyring, TokenCipher } from '../../src/security/token-cipher.ts';
import { openTestStore, resetStore, type TestStore } from '../support/db.ts';

describe('OAuth records adapter', () => {
  let store: TestStore;
  const oldKey = generateKeySpec('old');
  const cipher = new TokenCipher(parseKeyring(oldKey));
  const Adapter = () => createAdapterClass(store, cipher);

  beforeAll(async () => {
    store = await openTestStore();
  });
  afterAll(async () => {
    await store?.close();
  });
  beforeEach(async () => {
    await resetStore(store);
  });

  it('stores hashed ids and encrypted payloads; finds, consumes, expires and revokes by grant', async () => {
    const tokens = new (Adapter())('RefreshToken');
    const secretId = 'refresh-token-value-that-must-not-leak';
    await tokens.upsert(secretId, { jti: secretId, grantId: 'grant-1', accountId: 'user:ada' }, 3600);
    const dump = JSON.stringify(await store.query('select * from "oauth_records"'));
    expect(dump).not.toContain(secretId);
    expect(dump).not.toContain('user:ada');
    expect(await tokens.find(secretId)).toMatchObject({ jti: secretId, grantId: 'grant-1' });
    expect(await tokens.find('other')).toBeUndefined();
    await tokens.consume(secretId);
    expect((await tokens.find(secretId))?.consumed).toEqual(expect.any(Number));
    // A payload moved to another row does not decrypt there (the hashed id is associated data).
    await tokens.upsert('second', { jti: 'second' }, 3600);
    await store.query(
      `update "oauth_records" set "payload" = (select "payload" from "oauth_records" where "grant_id" = 'grant-1') where "grant_id" is null`,
    );
    await expect(tokens.find('second')).rejects.toThrow();
    await tokens.revokeByGrantId('grant-1');
    expect(await tokens.find(secretId)).toBeUndefined();

    await tokens.upsert('short', { jti: 'short' }, -1);
    expect(await tokens.find('short')).toBeUndefined();
    await purgeExpiredRecords(store);
    expect(await store.query(`select 1 from "oauth_records" where "expires_at" < now()`)).toEqual([]);

    const sessions = new (Adapter())('Session');
    await sessions.upsert('session-id', { uid: 'uid-1', accountId: 'user:ada' });
    expect(await sessions.findByUid('uid-1')).toMatchObject({ accountId: 'user:ada' });
  });

  it('keys are generated once and kept; rotation puts a new signing key first and keeps the previous ones', async () => {
    const records = recordStore(Adapter(), 'ServerKey');
    const first = await loadServerKeys(records);
    const again = await loadServerKeys(records);
    expect(again.signing.map((k) => k.kid)).toEqual(first.signing.map((k) => k.kid));
    expect(again.cookies).toEqual(first.cookies);
    const kid = await rotateSigningKey(records);
    const rotated = await loadServerKeys(records);
    expect(rotated.signing.map((k) => k.kid)).toEqual([kid, first.signing[0]!.kid]);
    for (let i = 0; i < KEEP_SIGNING_KEYS; i++) await rotateSigningKey(records);
    expect((await loadServerKeys(records)).signing).toHaveLength(KEEP_SIGNING_KEYS);
    // Private key material is never stored in clear.
    expect(JSON.stringify(await store.query('select * from "oauth_records"'))).not.toContain(first.signing[0]!.d);
  });

  it('rotate-keys re-encrypts records under the current key, so the old key can be dropped', async () => {
    const records = recordStore(Adapter(), 'Client');
    await records.set('client-1', { client_secret: 's3cret' });
    const newKey = generateKeySpec('new');
    const both = new TokenCipher(parseKeyring(`${newKey},${oldKey}`));
    expect(await reencryptRecords(store, both)).toBe(1);
    expect(await reencryptRecords(store, both)).toBe(0);
    const onlyNew = new TokenCipher(parseKeyring(newKey));
    expect(await recordStore(createAdapterClass(store, onlyNew), 'Client').get('client-1')).toEqual({
      client_secret: 's3cret',
    });
  });

  it('a registered client expires unless used: a grant or refresh token extends it; an expired one is purged', async () => {
    let ttl = 24 * 3600;
    const Expiring = createAdapterClass(store, cipher, {
      unusedClientTtl: (id) => (id.startsWith('kept-') ? undefined : ttl),
    });
    const clients = new Expiring('Client');
    const expiryOf = async (id: string) => {
      const [row] = await store.query<{ left: number | null }>(
        `select extract(epoch from ("expires_at" - now()))::float8 as "left" from "oauth_records" where "model" = 'Client' and "id" = ?`,
        [createHash('sha256').update(id).digest('base64url')],
      );
      return row?.left ?? null;
    };
    await clients.upsert('dcr-1', { client_id: 'dcr-1' });
    await clients.upsert('kept-1', { client_id: 'kept-1' });
    const unused = await expiryOf('dcr-1');
    expect(unused).toBeGreaterThan(23 * 3600);
    expect(unused).toBeLessThanOrEqual(24 * 3600);
    expect(await expiryOf('kept-1')).toBeNull();

    // Used: its record lives at least as long as the grant (30 days) given to it…
    await new Expiring('Grant').upsert('grant-x', { clientId: 'dcr-1', accountId: 'user:ada' }, 30 * 24 * 3600);
    await new Expiring('Grant').upsert('grant-y', { clientId: 'kept-1', accountId: 'user:ada' }, 30 * 24 * 3600);
    expect(await expiryOf('dcr-1')).toBeGreaterThan(29 * 24 * 3600);
    expect(await expiryOf('kept-1')).toBeNull();
    // …and storing the client again (metadata update) does not shorten it.
    await clients.upsert('dcr-1', { client_id: 'dcr-1', client_name: 'renamed' });
    expect(await expiryOf('dcr-1')).toBeGreaterThan(29 * 24 * 3600);

    // Never used and past its lifetime: unknown, then purged.
    ttl = -1;
    await clients.upsert('dcr-2', { client_id: 'dcr-2' });
    expect(await clients.find('dcr-2')).toBeUndefined();
    await purgeExpiredRecords(store);
    expect(await expiryOf('dcr-2')).toBeNull();
    expect(await clients.find('dcr-1')).toMatchObject({ client_name: 'renamed' });
    expect(await store.query(`select 1 from "oauth_records" where "model" = 'Client'`)).toHaveLength(2);
  });
});
