/**
 * oidc-provider's storage adapter over the `oauth_records` table (see src/store/entities.ts): clients, grants,
 * sessions, interactions, codes and refresh tokens survive a restart and are shared by every replica on PostgreSQL.
 * A token's value is its id, so ids are stored as SHA-256 digests and payloads encrypted with the token cipher (the
 * record's model and hashed id as associated data): a table dump yields no usable token or client secret.
 */
import { createHash } from 'node:crypto';
import type { TokenCipher } from '../security/token-cipher.ts';
import type { Store } from '../store/store.ts';

type Payload = Record<string, unknown>;

const hashId = (id: string) => createHash('sha256').update(id).digest('base64url');

interface Row {
  payload: string;
  expires_at: Date | string | null;
  consumed_at: Date | string | null;
}

const time = (value: Date | string | null) => (value === null ? null : new Date(value).getTime());

export interface AdapterOptions {
  /**
   * Lifetime of a client record stored without one, for clients that should expire when unused (dynamically
   * registered ones); undefined: kept. A grant or refresh token issued to a client extends its record to at least
   * that token's lifetime.
   */
  unusedClientTtl?: (clientId: string) => number | undefined;
}

/** Models whose records keep their client alive (see AdapterOptions.unusedClientTtl). */
const CLIENT_USES = new Set(['Grant', 'RefreshToken']);

/** The adapter class oidc-provider instantiates once per model name (`new Adapter('AccessToken')`). */
export function createAdapterClass(store: Store, cipher: TokenCipher, options: AdapterOptions = {}) {
  return class OAuthRecordAdapter {
    readonly model: string;
    constructor(model: string) {
      this.model = model;
    }

    #seal(id: string, payload: Payload): string {
      return cipher.encrypt(JSON.stringify(payload), `${this.model}:${id}`, 'oauth_record');
    }

    #open(id: string, row: Row): Payload | undefined {
      const expires = time(row.expires_at);
      if (expires !== null && expires <= Date.now()) return undefined;
      const payload = JSON.parse(cipher.decrypt(row.payload, `${this.model}:${id}`, 'oauth_record')) as Payload;
      const consumed = time(row.consumed_at);
      return consumed === null ? payload : { ...payload, consumed: Math.floor(consumed / 1000) };
    }

    async upsert(id: string, payload: Payload, expiresIn?: number): Promise<void> {
      const key = hashId(id);
      if (this.model === 'Client' && expiresIn === undefined) expiresIn = options.unusedClientTtl?.(id);
      const expiresAt = typeof expiresIn === 'number' ? new Date(Date.now() + expiresIn * 1000) : null;
      await store.query(
        `insert into "oauth_records" ("model", "id", "payload", "grant_id", "uid", "expires_at", "consumed_at", "created_at")
         values (?, ?, ?, ?, ?, ?, null, now())
         on conflict ("model", "id") do update set "payload" = excluded."payload", "grant_id" = excluded."grant_id",
           "uid" = excluded."uid",
           "expires_at" = case when "oauth_records"."model" = 'Client' and "oauth_records"."expires_at" is not null
             and excluded."expires_at" is not null then greatest("oauth_records"."expires_at", excluded."expires_at")
             else excluded."expires_at" end`,
        [
          this.model,
          key,
          this.#seal(key, payload),
          typeof payload.grantId === 'string' ? payload.grantId : null,
          typeof payload.uid === 'string' ? payload.uid : null,
          expiresAt,
        ],
      );
      if (CLIENT_USES.has(this.model) && typeof payload.clientId === 'string' && expiresAt) {
        // A used client lives at least as long as what was issued to it (clients without an expiry stay so).
        await store.query(
          `update "oauth_records" set "expires_at" = greatest("expires_at", ?)
           where "model" = 'Client' and "id" = ? and "expires_at" is not null`,
          [expiresAt, hashId(payload.clientId)],
        );
      }
    }

    async find(id: string): Promise<Payload | undefined> {
      const key = hashId(id);
      const [row] = await store.query<Row>(
        `select "payload", "expires_at", "consumed_at" from "oauth_records" where "model" = ? and "id" = ?`,
        [this.model, key],
      );
      return row ? this.#open(key, row) : undefined;
    }

    async findByUid(uid: string): Promise<Payload | undefined> {
      const [row] = await store.query<Row & { id: string }>(
        `select "id", "payload", "expires_at", "consumed_at" from "oauth_records" where "model" = ? and "uid" = ? limit 1`,
        [this.model, uid],
      );
      return row ? this.#open(row.id, row) : undefined;
    }

    /** The device flow is off: there are no user codes. */
    async findByUserCode(): Promise<undefined> {
      return undefined;
    }

    async consume(id: string): Promise<void> {
      await store.query(`update "oauth_records" set "consumed_at" = now() where "model" = ? and "id" = ?`, [
        this.model,
        hashId(id),
      ]);
    }

    async destroy(id: string): Promise<void> {
      await store.query(`delete from "oauth_records" where "model" = ? and "id" = ?`, [this.model, hashId(id)]);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await store.query(`delete from "oauth_records" where "grant_id" = ?`, [grantId]);
    }
  };
}

/** Records whose lifetime is over (scheduled by the authorization server). */
export async function purgeExpiredRecords(store: Store): Promise<void> {
  await store.query(`delete from "oauth_records" where "expires_at" < now()`);
}

/**
 * The server's own long-lived records (signing keys, cookie keys, grant → connections): a model name of ours,
 * the same table and encryption, no expiry.
 */
export interface RecordStore {
  get<T>(id: string): Promise<T | undefined>;
  /** With `grantId`, the record goes when its grant is revoked (oidc-provider's revokeByGrantId). */
  set(id: string, value: unknown, expiresInSeconds?: number, grantId?: string): Promise<void>;
  remove(id: string): Promise<void>;
}

export function recordStore(Adapter: ReturnType<typeof createAdapterClass>, model: string): RecordStore {
  const adapter = new Adapter(model);
  return {
    async get<T>(id: string) {
      const found = await adapter.find(id);
      return found === undefined ? undefined : (found.value as T);
    },
    set: (id, value, expiresInSeconds, grantId) =>
      adapter.upsert(id, grantId ? { value, grantId } : { value }, expiresInSeconds),
    remove: (id) => adapter.destroy(id),
  };
}

/**
 * Re-encrypts every OAuth record under the cipher's current key (`npm run rotate-keys` runs it after the
 * connections), so an old TOKEN_ENCRYPTION_KEYS entry can be dropped. Returns how many rows changed.
 */
export async function reencryptRecords(store: Store, cipher: TokenCipher): Promise<number> {
  const rows = await store.query<{ model: string; id: string; payload: string }>(
    `select "model", "id", "payload" from "oauth_records"`,
  );
  let changed = 0;
  for (const row of rows) {
    if (cipher.keyIdOf(row.payload) === cipher.currentKeyId) continue;
    const aad = `${row.model}:${row.id}`;
    const plain = cipher.decrypt(row.payload, aad, 'oauth_record');
    await store.query(`update "oauth_records" set "payload" = ? where "model" = ? and "id" = ? and "payload" = ?`, [
      cipher.encrypt(plain, aad, 'oauth_record'),
      row.model,
      row.id,
      row.payload,
    ]);
    changed++;
  }
  return changed;
}
