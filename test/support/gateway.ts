/**
 * Starts the real gateway (same composition as `npm start`) on an ephemeral port, with its logs captured so tests can
 * assert what was (and was never) logged.
 */
import { Writable } from 'node:stream';
import { createGateway, type Gateway } from '../../src/app.ts';
import { loadConfig } from '../../src/config/env.ts';
import { createLogger } from '../../src/logging.ts';

export const API_TOKEN = 'test-action-token-0123456789';

export interface RunningGateway {
  url: string;
  gateway: Gateway;
  logs: string[];
  close(): Promise<void>;
}

export async function startGateway(env: Record<string, string> = {}): Promise<RunningGateway> {
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  const config = loadConfig({ ACTION_API_TOKEN: API_TOKEN, LOG_LEVEL: 'debug', PORT: '0', HOST: '127.0.0.1', ...env });
  const gateway = await createGateway(config, createLogger(config.logLevel, sink));
  const { url } = await gateway.listen(0, '127.0.0.1');
  return { url, gateway, logs, close: () => gateway.close() };
}

/** fetch with the operator token and a JSON body. */
export function api(baseUrl: string, token: string | null = API_TOKEN) {
  return async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let json: Record<string, any> | null = null;
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
    return { status: res.status, headers: res.headers, json: json as Record<string, any>, text };
  };
}
