import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { IdempotencyScope } from '../../src/store/repositories.ts';
import { openTestStore, resetStore, type TestStore } from '../support/db.ts';

let store: TestStore;
beforeAll(async () => {
  store = await openTestStore();
});
afterAll(async () => {
  await store?.close();
});
beforeEach(async () => {
  await resetStore(store);
});

describe('audit_log', () => {
  it('records entries and lists them newest first, per connection', async () => {
    const c1 = randomUUID();
    const c2 = randomUUID();
    for (let i = 0; i < 3; i++) {
      await store.audit.record({
        connectionId: c1,
        requestId: `req-${i}`,
        actor: i % 2 ? 'chatgpt_mcp' : 'chatgpt_action',
        operation: 'notion_request',
        method: 'PATCH',
        path: `/v1/pages/${i}`,
        notionIds: [`page-${i}`],
        summary: `updated page ${i}`,
        success: i !== 2,
        errorCode: i === 2 ? 'notion_error' : null,
      });
    }
    await store.audit.record({
      connectionId: c2,
      requestId: 'x',
      actor: 'operator',
      operation: 'connections_add',
      summary: 's',
      success: true,
    });
    const list = await store.audit.list({ connectionId: c1, limit: 10 });
    expect(list.map((r) => r.request_id)).toEqual(['req-2', 'req-1', 'req-0']);
    expect(list[0]).toMatchObject({
      success: false,
      error_code: 'notion_error',
      notion_ids: ['page-2'],
      actor: 'chatgpt_action',
    });
    expect(await store.audit.list({ connectionId: c1, limit: 1 })).toHaveLength(1);
    expect(await store.audit.list({ requestId: 'x' })).toHaveLength(1);
    expect((await store.audit.list({ connectionId: c2 }))[0]).toMatchObject({ notion_ids: [], method: null });
    await expect(
      store.audit.record({
        connectionId: c1,
        requestId: 'y',
        actor: 'robot' as never,
        operation: 'o',
        summary: 's',
        success: true,
      }),
    ).rejects.toThrow(/check/i);
  });
});

describe('idempotency_keys', () => {
  const scope = (overrides: Partial<IdempotencyScope> = {}): IdempotencyScope => ({
    principal: 'operator',
    connectionId: randomUUID(),
    operation: 'notion_request',
    key: 'k1',
    ...overrides,
  });
  const claim = { requestHash: 'h1', requestId: 'r1', leaseMs: 60_000, ttlMs: 60_000 };

  it('claim → complete → get round-trips the stored outcome; expired records read as absent and are purged', async () => {
    const s = scope();
    expect(await store.idempotency.claim(s, claim)).toEqual({ reserved: true });
    expect(
      await store.idempotency.complete(s, 'r1', { status: 200, body: { ok: true, result: { id: 'p1' } } }, 60_000),
    ).toBe(true);
    expect(await store.idempotency.get(s)).toMatchObject({
      status: 'completed',
      request_hash: 'h1',
      request_id: 'r1',
      response_status: 200,
      response_body: { ok: true, result: { id: 'p1' } },
      locked_until: null,
    });
    // Same key string, other connection, operation or principal: another record.
    expect(await store.idempotency.get({ ...s, connectionId: randomUUID() })).toBeNull();
    expect(await store.idempotency.get({ ...s, operation: 'notion_search' })).toBeNull();
    expect(await store.idempotency.get({ ...s, principal: 'someone' })).toBeNull();
    const later = new Date(Date.now() + 61_000);
    expect(await store.idempotency.get(s, later)).toBeNull();
    expect(await store.idempotency.purgeExpired(later)).toBeGreaterThanOrEqual(1);
    expect(await store.idempotency.get(s)).toBeNull();
  });

  it('claim: exactly one concurrent caller wins; the others see its record', async () => {
    const s = scope({ key: 'same' });
    const results = await Promise.all(
      [1, 2, 3, 4].map((n) => store.idempotency.claim(s, { ...claim, requestId: `r${n}` })),
    );
    expect(results.filter((r) => r.reserved)).toHaveLength(1);
    for (const r of results) if (!r.reserved) expect(r.record.status).toBe('in_progress');
  });

  it('a dead attempt (lease over) is taken over by the same request, never by another one', async () => {
    const s = scope({ key: 'crashed' });
    const now = new Date();
    expect(await store.idempotency.claim(s, { ...claim, leaseMs: 1_000 }, now)).toEqual({ reserved: true });
    const afterLease = new Date(now.getTime() + 2_000);
    const other = await store.idempotency.claim(s, { ...claim, requestHash: 'h2', requestId: 'r2' }, afterLease);
    expect(other.reserved).toBe(false);
    const same = await store.idempotency.claim(s, { ...claim, requestId: 'r3' }, afterLease);
    expect(same).toEqual({ reserved: true });
    // The dead attempt no longer holds the key: its late outcome is not stored.
    expect(await store.idempotency.complete(s, 'r1', { status: 200, body: {} }, 60_000)).toBe(false);
    expect(await store.idempotency.heartbeat(s, 'r3', 60_000)).toBe(true);
  });

  it('release frees the key of the attempt that holds it only', async () => {
    const s = scope({ key: 'released' });
    await store.idempotency.claim(s, claim);
    await store.idempotency.release(s, 'someone-else');
    expect(await store.idempotency.get(s)).not.toBeNull();
    await store.idempotency.release(s, 'r1');
    expect(await store.idempotency.get(s)).toBeNull();
  });
});

describe('jobs, os_state, upsert_keys, oauth_states', () => {
  it('jobs: create, update, list', async () => {
    const c = randomUUID();
    const job = await store.jobs.create({
      connectionId: c,
      principal: 'operator',
      requestId: 'r1',
      kind: 'bulk',
      args: { ops: 3 },
    });
    expect(job).toMatchObject({ status: 'queued', attempts: 0, args: { ops: 3 }, output: null, principal: 'operator' });
    const running = await store.jobs.update(job.id, {
      status: 'running',
      attempts: 1,
      progress: { done: 1, total: 3 },
    });
    expect(running).toMatchObject({ status: 'running', progress: { done: 1, total: 3 } });
    await store.jobs.update(job.id, { status: 'failed', error: { code: 'notion_error' } });
    expect(await store.jobs.list({ connectionId: c, status: 'failed' })).toHaveLength(1);
    expect(await store.jobs.update(randomUUID(), { status: 'running' })).toBeNull();
    // A cancelled job stays cancelled: updateIf only moves it from the states given.
    await store.jobs.update(job.id, { status: 'cancelled' });
    expect(await store.jobs.updateIf(job.id, ['queued', 'running'], { status: 'running' })).toBeNull();
    expect(await store.jobs.list({ principal: 'someone-else' })).toHaveLength(0);
  });

  it('os_state: put is an upsert', async () => {
    const c = randomUUID();
    await store.osState.put({ connectionId: c, rootPageId: 'root', specVersion: '1', createdIds: { tasks: 'db1' } });
    await store.osState.put({
      connectionId: c,
      rootPageId: 'root',
      specVersion: '2',
      createdIds: { tasks: 'db1', notes: 'db2' },
    });
    expect(await store.osState.get(c)).toMatchObject({
      spec_version: '2',
      created_ids: { tasks: 'db1', notes: 'db2' },
    });
  });

  it('upsert_keys: one reservation per (connection, data source, key)', async () => {
    const c = randomUUID();
    const results = await Promise.all([1, 2, 3].map(() => store.upsertKeys.reserve(c, 'ds1', 'email:a@b.c')));
    expect(results.filter((r) => r.reserved)).toHaveLength(1);
    await store.upsertKeys.setPage(c, 'ds1', 'email:a@b.c', 'page-1');
    expect((await store.upsertKeys.reserve(c, 'ds1', 'email:a@b.c')).row.page_id).toBe('page-1');
    expect((await store.upsertKeys.reserve(c, 'ds2', 'email:a@b.c')).reserved).toBe(true);
    await store.upsertKeys.release(c, 'ds1', 'email:a@b.c');
    expect(await store.upsertKeys.find(c, 'ds1', 'email:a@b.c')).toBeNull();
  });

  it('oauth_states: consumed once, never after expiry', async () => {
    const t0 = new Date();
    await store.oauthStates.create({
      id: 's1',
      owner: 'operator',
      return_url: null,
      connection_hint: null,
      expires_at: new Date(t0.getTime() + 1000),
    });
    await store.oauthStates.create({
      id: 's2',
      owner: 'operator',
      return_url: null,
      connection_hint: null,
      expires_at: new Date(t0.getTime() + 1000),
    });
    expect(await store.oauthStates.consume('s1', t0)).toBe(true);
    expect(await store.oauthStates.consume('s1', t0)).toBe(false);
    expect(await store.oauthStates.consume('s2', new Date(t0.getTime() + 1000))).toBe(false);
    expect(await store.oauthStates.purgeExpired(new Date(t0.getTime() + 1000))).toBe(2);
  });
});
