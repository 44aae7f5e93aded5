/**
 * GET /: the first URL a newcomer opens says where everything is, and every link it gives works.
 */

import Mustache from 'mustache';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HomeIndex } from '../../src/home.ts';
import { type RunningGateway, startGateway } from '../support/gateway.ts';

let gateway: RunningGateway;
beforeAll(async () => {
  gateway = await startGateway();
});
afterAll(async () => {
  await gateway?.close();
});

describe('GET /', () => {
  it('answers a JSON index of the documents and endpoints, without a token', async () => {
    const res = await fetch(`${gateway.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const index = (await res.json()) as HomeIndex;
    expect(index).toMatchObject({
      name: 'Notion Gateway',
      links: {
        docs: `${gateway.url}/docs`,
        openapi: `${gateway.url}/openapi.json`,
        openapi_full: `${gateway.url}/openapi.full.json`,
        mcp: `${gateway.url}/mcp`,
        sse: `${gateway.url}/sse`,
        health: `${gateway.url}/health`,
      },
    });
    expect(index.auth).toContain('ACTION_API_TOKEN');
    // The docs page, the documents and /health it points to are served without a token.
    for (const key of ['docs', 'openapi', 'openapi_full', 'health'] as const) {
      expect((await fetch(index.links[key])).status, key).toBe(200);
    }
  });

  it('answers an HTML page with the same links to a browser', async () => {
    const res = await fetch(`${gateway.url}/`, { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    for (const path of ['/docs', '/openapi.json', '/openapi.full.json', '/mcp', '/sse', '/health']) {
      expect(html).toContain(`href="${Mustache.escape(gateway.url + path)}"`); // Mustache escapes '/' too
    }
  });
});
