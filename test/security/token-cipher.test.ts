import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  DecryptionError,
  generateKeySpec,
  KeyConfigError,
  parseKeyring,
  TokenCipher,
} from '../../src/security/token-cipher.ts';

const key = () => randomBytes(32).toString('base64');
const CONN = '0b7a3c4e-1d2f-4a5b-8c9d-0e1f2a3b4c5d';
const OTHER = '9f8e7d6c-5b4a-4321-8fed-cba987654321';

describe('TokenCipher', () => {
  const cipher = new TokenCipher(parseKeyring(`k1:${key()}`));

  it('round-trips and never shows the plaintext in the ciphertext', () => {
    const token = 'ntn_secret_token_value_123';
    const enc = cipher.encrypt(token, CONN);
    expect(enc.startsWith('v1:k1:')).toBe(true);
    expect(enc).not.toContain(token);
    expect(cipher.decrypt(enc, CONN)).toBe(token);
    // A fresh IV each time.
    expect(cipher.encrypt(token, CONN)).not.toBe(enc);
    expect(cipher.keyIdOf(enc)).toBe('k1');
  });

  it('detects tampering in any part of the ciphertext', () => {
    const enc = cipher.encrypt('secret', CONN);
    const parts = enc.split(':');
    for (const i of [2, 3, 4]) {
      const bytes = Buffer.from(parts[i]!, 'base64url');
      bytes[0] = bytes[0]! ^ 0x01;
      const forged = [...parts];
      forged[i] = bytes.toString('base64url');
      expect(() => cipher.decrypt(forged.join(':'), CONN)).toThrow(DecryptionError);
    }
    expect(() => cipher.decrypt('not-a-ciphertext', CONN)).toThrow(DecryptionError);
  });

  it('binds a ciphertext to its connection id and field (AAD)', () => {
    const enc = cipher.encrypt('secret', CONN, 'access_token');
    expect(() => cipher.decrypt(enc, OTHER, 'access_token')).toThrow(/could not be decrypted with key id 'k1'/);
    expect(() => cipher.decrypt(enc, CONN, 'refresh_token')).toThrow(DecryptionError);
  });

  it('encrypts with the first key and decrypts with any configured key', () => {
    const k1 = key();
    const k2 = key();
    const old = new TokenCipher(parseKeyring(`k1:${k1}`));
    const rotated = new TokenCipher(parseKeyring(`k2:${k2},k1:${k1}`));
    const encOld = old.encrypt('secret', CONN);
    expect(rotated.currentKeyId).toBe('k2');
    expect(rotated.decrypt(encOld, CONN)).toBe('secret');
    expect(rotated.keyIdOf(rotated.encrypt('secret', CONN))).toBe('k2');
  });

  it('names an unknown key id clearly, never the key', () => {
    const k1 = key();
    const enc = new TokenCipher(parseKeyring(`k1:${k1}`)).encrypt('secret', CONN);
    const other = new TokenCipher(parseKeyring(`k9:${key()}`));
    const err = (() => {
      try {
        other.decrypt(enc, CONN);
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err).toBeInstanceOf(KeyConfigError);
    expect(err?.message).toMatch(/key id 'k1'.*not configured/);
    expect(err?.message).not.toContain(k1);
  });

  it('detects wrong key material for a known key id', () => {
    const enc = new TokenCipher(parseKeyring(`k1:${key()}`)).encrypt('secret', CONN);
    const wrong = new TokenCipher(parseKeyring(`k1:${key()}`));
    expect(() => wrong.decrypt(enc, CONN)).toThrow(/key id 'k1'/);
  });
});

describe('parseKeyring', () => {
  it('parses lists, single keys and bare keys', () => {
    const a = key();
    const b = key();
    expect(parseKeyring(`a:${a}, b:${b},`).map((k) => k.id)).toEqual(['a', 'b']);
    expect(parseKeyring(a, 'TOKEN_ENCRYPTION_KEY', true)[0]!.id).toBe('default');
    expect(parseKeyring(`x:${Buffer.from(a, 'base64').toString('base64url')}`)[0]!.key.length).toBe(32);
    expect(parseKeyring(generateKeySpec('gen'))[0]!.id).toBe('gen');
  });

  it.each([
    ['', /is empty/],
    [' , ', /is empty/],
    ['nokid', /must look like <key-id>:<base64/],
    [`bad id:${randomBytes(32).toString('base64')}`, /key id must match/],
    [`k1:${randomBytes(16).toString('base64')}`, /32 bytes, got 16/],
    ['k1:not*base64!', /not base64/],
  ])('rejects %j with a clear message', (spec, message) => {
    expect(() => parseKeyring(spec)).toThrow(message);
  });

  it('rejects duplicate key ids and never echoes key material', () => {
    const a = key();
    expect(() => parseKeyring(`k1:${a},k1:${a}`)).toThrow(/'k1' appears twice/);
    try {
      parseKeyring(`k1:${a.slice(0, 20)}`);
    } catch (e) {
      expect((e as Error).message).not.toContain(a.slice(0, 20));
    }
  });
});
