/**
 * HTTP requests fetch() will not send: any Host header, bytes that are not UTF-8, a declared body that never comes.
 */
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any;
}

export function rawRequest(
  baseUrl: string,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: Buffer | string },
): Promise<RawResponse> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method: options.method ?? 'GET',
        path: options.path,
        headers: { ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}), ...options.headers },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: any = null;
          try {
            json = JSON.parse(text);
          } catch {
            json = null;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

/** A socket that sent `head` (request line + headers, and maybe part of a body) and then stalls. */
export function stalledSocket(baseUrl: string, head: string | Buffer): Promise<Socket> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port) }, () => {
      socket.write(head);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** Resolves with what the server sent until it closed the socket (or `timeoutMs` passed: then `closed` is false). */
export function untilClosed(
  socket: Socket,
  timeoutMs: number,
): Promise<{ closed: boolean; received: string; ms: number }> {
  const started = performance.now();
  let received = '';
  socket.on('data', (c: Buffer) => {
    received += c.toString('latin1');
  });
  socket.on('error', () => {});
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve({ closed: true, received, ms: 0 });
    const timer = setTimeout(() => resolve({ closed: false, received, ms: performance.now() - started }), timeoutMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve({ closed: true, received, ms: performance.now() - started });
    });
  });
}
