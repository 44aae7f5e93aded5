/**
 * The authorization server's keys, generated once and kept in the database (encrypted with the token cipher, like
 * every OAuth record): RS256 signing keys for access and ID tokens, and the keys that sign its cookies.
 *
 * Rotation (`npm run oauth:client -- --rotate-signing-key`): a new key is put first (it signs from the next start
 * on); the previous ones stay published in the JWKS and keep verifying tokens already issued. Keys beyond
 * KEEP_SIGNING_KEYS are dropped: rotate at most once per access-token lifetime to keep every live token verifiable.
 */
import { createPublicKey, generateKeyPairSync, type JsonWebKey, randomBytes, randomUUID } from 'node:crypto';
import type { RecordStore } from './adapter.ts';

export const KEEP_SIGNING_KEYS = 3;

export type SigningJwk = JsonWebKey & { kid: string; alg: 'RS256'; use: 'sig' };

export interface ServerKeys {
  /** First signs; all verify (and are published at /oauth/jwks). */
  signing: SigningJwk[];
  cookies: string[];
}

export function newSigningKey(): SigningJwk {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg: 'RS256', use: 'sig' };
}

/** Reads the keys, generating what is missing (a concurrent first start may generate twice: the last one wins). */
export async function loadServerKeys(records: RecordStore): Promise<ServerKeys> {
  let signing = await records.get<SigningJwk[]>('signing');
  if (!signing?.length) {
    signing = [newSigningKey()];
    await records.set('signing', signing);
  }
  let cookies = await records.get<string[]>('cookies');
  if (!cookies?.length) {
    cookies = [randomBytes(32).toString('base64url')];
    await records.set('cookies', cookies);
  }
  return { signing, cookies };
}

/** Puts a new signing key first, keeping the newest KEEP_SIGNING_KEYS; returns the new key id. */
export async function rotateSigningKey(records: RecordStore): Promise<string> {
  const current = (await records.get<SigningJwk[]>('signing')) ?? [];
  const fresh = newSigningKey();
  await records.set('signing', [fresh, ...current].slice(0, KEEP_SIGNING_KEYS));
  return fresh.kid;
}

/** The public half of a signing key (what the resource server verifies with). */
export const publicKeyOf = (jwk: SigningJwk) => createPublicKey({ key: jwk, format: 'jwk' });
