/**
 * A legacy SSE stream behind Cloudflare Tunnel or nginx (issue 18.6): `X-Accel-Buffering: no` so a proxy does not
 * buffer it, and a keep-alive comment at the latest 25 s after the stream opened, well under Cloudflare's 100 s idle
 * limit. The stream's interval runs on fake timers (no wall-clock wait); sockets stay real.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { API_TOKEN, type RunningGateway, startGateway } from '../support/gateway.ts';

let gateway: RunningGateway;
beforeAll(async () => {
  gateway = await startGateway();
});
afterAll(async () => {
  await gateway?.close();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('legacy SSE stream through a proxy', () => {
  it('is unbuffered and sends a keep-alive comment within 25 s', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const controller = new AbortController();
    const res = await fetch(`${gateway.url}/sse`, {
      headers: { authorization: `Bearer ${API_TOKEN}`, accept: 'text/event-stream' },
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('x-accel-buffering')).toBe('no');
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let seen = '';
    const readUntil = async (needle: string) => {
      while (!seen.includes(needle)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before ${JSON.stringify(needle)}: ${seen}`);
        seen += decoder.decode(value, { stream: true });
      }
    };
    await readUntil('event: endpoint');
    expect(seen).not.toContain(': keep-alive');
    // 25 s after the stream opened: the first comment (a longer interval would leave this read waiting).
    vi.advanceTimersByTime(25_000);
    await readUntil(': keep-alive\n\n');
    expect(seen.match(/: keep-alive/g)).toHaveLength(1);
    vi.advanceTimersByTime(25_000);
    await readUntil(': keep-alive\n\n: keep-alive\n\n');
    controller.abort();
  });
});
