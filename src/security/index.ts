export {
  KEY_FILE_NAME,
  type KeySourceOptions,
  loadTokenCipher,
  type RotationResult,
  rotateKeys,
  verifyStoredKeys,
} from './keys.ts';
export {
  DecryptionError,
  type EncryptionKey,
  generateKeySpec,
  KeyConfigError,
  parseCiphertext,
  parseKeyring,
  TokenCipher,
  type TokenField,
} from './token-cipher.ts';
