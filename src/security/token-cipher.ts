/**
 * Token encryption at rest: AES-256-GCM (node:crypto), a key id carried in every ciphertext, and the owning
 * connection id (plus the field name) as associated data — a ciphertext copied to another row or field fails
 * to decrypt. Keys come from TOKEN_ENCRYPTION_KEYS (`kid:base64,kid:base64`, the first encrypts, all decrypt) or
 * TOKEN_ENCRYPTION_KEY (one key, `kid:base64` or bare base64 → key id `default`).
 *
 * Nothing here ever puts key material or plaintext into an error message or a log line.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export const CIPHERTEXT_VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const KID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** Misconfiguration found at startup (or while decrypting): the message names the variable or key id, never a key. */
export class KeyConfigError extends Error {
  readonly keyId: string | undefined;
  constructor(message: string, keyId?: string) {
    super(message);
    this.name = 'KeyConfigError';
    this.keyId = keyId;
  }
}

/** A ciphertext that does not authenticate (tampered, wrong row, wrong key material for its key id). */
export class DecryptionError extends Error {
  readonly keyId: string | undefined;
  constructor(message: string, keyId?: string) {
    super(message);
    this.name = 'DecryptionError';
    this.keyId = keyId;
  }
}

export interface EncryptionKey {
  id: string;
  key: Buffer;
}

const decodeKey = (value: string, label: string): Buffer => {
  const trimmed = value.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) {
    throw new KeyConfigError(`${label}: key material is not base64`);
  }
  const key = Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (key.length !== KEY_BYTES) {
    throw new KeyConfigError(
      `${label}: key must decode to ${KEY_BYTES} bytes, got ${key.length} (generate one with: openssl rand -base64 32)`,
    );
  }
  return key;
};

/**
 * Parses `kid:base64[,kid:base64…]`. With `allowBareKey`, a single entry without `kid:` gets the id `default`.
 * `variable` names the source in error messages.
 */
export function parseKeyring(spec: string, variable = 'TOKEN_ENCRYPTION_KEYS', allowBareKey = false): EncryptionKey[] {
  // Empty entries (a trailing comma) are ignored; a list with no entry at all is an error.
  const entries = spec
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (entries.length === 0) throw new KeyConfigError(`${variable} is empty`);
  const keys: EncryptionKey[] = [];
  entries.forEach((entry, index) => {
    const label = `${variable} entry #${index + 1}`;
    const colon = entry.indexOf(':');
    let id: string;
    let material: string;
    if (colon === -1) {
      if (!(allowBareKey && entries.length === 1)) {
        throw new KeyConfigError(`${label} must look like <key-id>:<base64 32 bytes>`);
      }
      id = 'default';
      material = entry;
    } else {
      id = entry.slice(0, colon).trim();
      material = entry.slice(colon + 1);
    }
    if (!KID_PATTERN.test(id)) {
      throw new KeyConfigError(`${label}: key id must match ${KID_PATTERN.source}`);
    }
    if (keys.some((k) => k.id === id)) throw new KeyConfigError(`${variable}: key id '${id}' appears twice`, id);
    keys.push({ id, key: decodeKey(material, `${label} (key id '${id}')`) });
  });
  return keys;
}

/** What a ciphertext holds (part of its associated data): a connection's tokens, or an OAuth server record. */
export type TokenField = 'access_token' | 'refresh_token' | 'oauth_record';

const aad = (connectionId: string, field: TokenField) =>
  Buffer.from(`notion-gateway/connection/${connectionId}/${field}`, 'utf8');

const b64u = (b: Buffer) => b.toString('base64url');

export interface ParsedCiphertext {
  version: string;
  keyId: string;
  iv: Buffer;
  data: Buffer;
  tag: Buffer;
}

export function parseCiphertext(ciphertext: string): ParsedCiphertext {
  const parts = ciphertext.split(':');
  if (parts.length !== 5 || parts[0] !== CIPHERTEXT_VERSION) {
    throw new DecryptionError('stored token is not a recognised ciphertext');
  }
  const [version, keyId, iv, data, tag] = parts as [string, string, string, string, string];
  const parsed = {
    version,
    keyId,
    iv: Buffer.from(iv, 'base64url'),
    data: Buffer.from(data, 'base64url'),
    tag: Buffer.from(tag, 'base64url'),
  };
  if (parsed.iv.length !== IV_BYTES || parsed.tag.length !== TAG_BYTES || !KID_PATTERN.test(keyId)) {
    throw new DecryptionError(
      'stored token is not a recognised ciphertext',
      KID_PATTERN.test(keyId) ? keyId : undefined,
    );
  }
  return parsed;
}

export class TokenCipher {
  readonly #keys: Map<string, Buffer>;
  readonly currentKeyId: string;

  constructor(keys: EncryptionKey[]) {
    if (keys.length === 0) throw new KeyConfigError('no token encryption key configured');
    this.#keys = new Map(keys.map((k) => [k.id, Buffer.from(k.key)]));
    this.currentKeyId = keys[0]!.id;
  }

  get keyIds(): string[] {
    return [...this.#keys.keys()];
  }

  hasKey(keyId: string): boolean {
    return this.#keys.has(keyId);
  }

  /** `v1:<kid>:<iv>:<ciphertext>:<tag>` (base64url parts), bound to the connection id and field. */
  encrypt(plaintext: string, connectionId: string, field: TokenField = 'access_token'): string {
    const key = this.#keys.get(this.currentKeyId)!;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad(connectionId, field));
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [CIPHERTEXT_VERSION, this.currentKeyId, b64u(iv), b64u(data), b64u(cipher.getAuthTag())].join(':');
  }

  decrypt(ciphertext: string, connectionId: string, field: TokenField = 'access_token'): string {
    const parsed = parseCiphertext(ciphertext);
    const key = this.#keys.get(parsed.keyId);
    if (!key) {
      throw new KeyConfigError(
        `token encryption key id '${parsed.keyId}' is used by stored tokens but is not configured: add it to TOKEN_ENCRYPTION_KEYS`,
        parsed.keyId,
      );
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, parsed.iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(aad(connectionId, field));
      decipher.setAuthTag(parsed.tag);
      return Buffer.concat([decipher.update(parsed.data), decipher.final()]).toString('utf8');
    } catch {
      throw new DecryptionError(
        `stored token could not be decrypted with key id '${parsed.keyId}' (tampered, moved to another row, or wrong key material for that id)`,
        parsed.keyId,
      );
    }
  }

  keyIdOf(ciphertext: string): string {
    return parseCiphertext(ciphertext).keyId;
  }
}

/** A fresh random key, as the `kid:base64` text TOKEN_ENCRYPTION_KEYS takes. */
export const generateKeySpec = (keyId: string): string => `${keyId}:${randomBytes(KEY_BYTES).toString('base64')}`;
