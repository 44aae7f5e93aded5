/**
 * pino, with redaction of every field that may carry a secret. pino redacts by key path only: a token inside a
 * message string is not caught, so code never interpolates a token into a message.
 */
import { type DestinationStream, type Logger, pino } from 'pino';

export const REDACTED_PATHS = [
  'req.headers.authorization',
  'headers.authorization',
  'authorization',
  'token',
  'access_token',
  'refresh_token',
  'client_secret',
  '*.token',
  '*.access_token',
  '*.refresh_token',
  '*.client_secret',
  '*.authorization',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    { level, base: { service: 'notion-gateway' }, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } },
    destination,
  );
}
