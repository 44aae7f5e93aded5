// openOnFirstJob: an embedded gateway opens pg-boss only when a job is sent. What it must keep: nothing opens
// before the first send, workers registered before are started exactly once, a failed opening is retried, and a
// queue that never opened stops without opening. (The end-to-end jobs tests run through it on PGlite.)
import { describe, expect, it } from 'vitest';
import { type JobQueue, openOnFirstJob } from '../../src/store/queue.ts';

/** An in-process queue that runs each sent job on its workers, and records what happened to it. */
function recordingQueue() {
  const events: string[] = [];
  const handlers: Array<(jobId: string) => Promise<void>> = [];
  const queue: JobQueue = {
    async send(jobId) {
      events.push(`send ${jobId}`);
      for (const handler of handlers) await handler(jobId);
    },
    async work(handler) {
      events.push('work');
      handlers.push(handler);
    },
    async stop() {
      events.push('stop');
    },
  };
  return { queue, events };
}

describe('openOnFirstJob', () => {
  it('opens on the first send, starts the workers registered before, then sends', async () => {
    const inner = recordingQueue();
    let opens = 0;
    const queue = openOnFirstJob(async () => {
      opens++;
      return inner.queue;
    });
    const ran: string[] = [];
    await queue.work(async (id) => void ran.push(id));
    expect(opens).toBe(0);
    await Promise.all([queue.send('a'), queue.send('b')]);
    expect(opens).toBe(1);
    expect(inner.events).toEqual(['work', 'send a', 'send b']);
    expect(ran).toEqual(['a', 'b']);
    // A worker registered once it is open goes straight to the open queue.
    await queue.work(async (id) => void ran.push(`late ${id}`));
    await queue.send('c');
    expect(ran).toEqual(['a', 'b', 'c', 'late c']);
    await queue.stop();
    expect(inner.events.at(-1)).toBe('stop');
  });

  it('retries a failed opening on the next send', async () => {
    const inner = recordingQueue();
    let attempts = 0;
    const queue = openOnFirstJob(async () => {
      attempts++;
      if (attempts === 1) throw new Error('database not reachable');
      return inner.queue;
    });
    await expect(queue.send('a')).rejects.toThrow('database not reachable');
    await queue.send('b');
    expect(attempts).toBe(2);
    expect(inner.events).toEqual(['send b']);
  });

  it('stops without opening when no job was ever sent', async () => {
    let opens = 0;
    const queue = openOnFirstJob(async () => {
      opens++;
      return recordingQueue().queue;
    });
    await queue.work(async () => {});
    await queue.stop();
    expect(opens).toBe(0);
  });
});
