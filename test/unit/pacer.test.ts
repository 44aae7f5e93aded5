/**
 * The per-connection pace (src/notion/pacer.ts): requests wait their turn, a wait beyond the bound answers
 * rate_limited with retry_after_seconds, and a job's requests let the waiting interactive ones go first.
 */
import { describe, expect, it } from 'vitest';
import { createPacer } from '../../src/notion/pacer.ts';
import { GatewayError } from '../../src/shared/errors.ts';

describe('pacer', () => {
  it('paces each connection on its own: one at its limit does not hold back another', async () => {
    const pacer = createPacer({ perMinute: 60, burst: 2, maxWaitMs: 0 }); // no waiting allowed: a refusal shows the limit
    await pacer.acquire('a');
    await pacer.acquire('a');
    await expect(pacer.acquire('a')).rejects.toMatchObject({ code: 'rate_limited' });
    await expect(pacer.acquire('b')).resolves.toBeUndefined();
  });

  it('answers rate_limited with retry_after_seconds rather than wait past the bound', async () => {
    const pacer = createPacer({ perMinute: 60, burst: 1, maxWaitMs: 100 });
    await pacer.acquire('a');
    const error = await pacer.acquire('a').catch((e) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect(error.code).toBe('rate_limited');
    expect(error.details.retry_after_seconds).toBeGreaterThanOrEqual(1);
  });

  it('lets interactive requests go before a waiting job step', async () => {
    const pacer = createPacer({ perMinute: 120, burst: 1, maxWaitMs: 5_000 }); // one every 500 ms
    await pacer.acquire('a');
    const order: string[] = [];
    const job = pacer.acquire('a', { background: true }).then(() => order.push('job'));
    await new Promise((r) => setTimeout(r, 10));
    const calls = [1, 2].map((n) => pacer.acquire('a').then(() => order.push(`call ${n}`)));
    await Promise.all([job, ...calls]);
    expect(order.indexOf('job')).toBe(2);
  });
});
