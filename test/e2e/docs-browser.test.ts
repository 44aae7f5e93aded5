/**
 * GET /docs (issue 18.5) in headless Chromium: Redoc, served by the gateway itself, renders /openapi.full.json under
 * the page's Content-Security-Policy without a violation; every operation of the document is on the page, and every
 * MCP tool under its toolset. A screenshot goes to .tmp/docs.png.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCS_CSP, REDOC_PATH } from '../../src/http/docs.ts';
import { type RunningGateway, startGateway } from '../support/gateway.ts';

const CHROMIUM = '/usr/bin/chromium';
const root = join(import.meta.dirname, '../..');
const generated = (name: string) => JSON.parse(readFileSync(join(root, 'generated', name), 'utf8'));

const missing = !existsSync(CHROMIUM);
if (missing && !process.env.CI) {
  console.warn(`${CHROMIUM} is missing: the /docs browser test is skipped (apt-get install -y chromium)`);
}

let gateway: RunningGateway;
beforeAll(async () => {
  gateway = await startGateway();
});
afterAll(async () => {
  await gateway?.close();
});

describe('GET /docs', () => {
  it('is public HTML under a CSP that allows only its own origin, and Redoc comes from the gateway', async () => {
    const res = await fetch(`${gateway.url}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe(DOCS_CSP);
    const html = await res.text();
    expect(html).toContain(`<script src="${REDOC_PATH}"></script>`);
    // No inline script and no other origin: the CSP would refuse them, and nothing may come from a CDN.
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).not.toMatch(/https?:\/\//);
    const bundle = await fetch(`${gateway.url}${REDOC_PATH}`);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await bundle.arrayBuffer()).byteLength).toBeGreaterThan(500_000);
  });

  describe.skipIf(missing && !process.env.CI)('in headless Chromium', () => {
    let browser: Browser;
    beforeAll(async () => {
      if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`);
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    }, 60_000);
    afterAll(async () => {
      await browser?.close();
    });

    it('renders every operation of the full document and every MCP tool by toolset', async () => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const problems: string[] = [];
      page.on('console', (m) => {
        // Redoc's sidebar credit loads its logo from Redocly's CDN: the CSP refuses it and the image hides itself.
        if (m.type() === 'error' && !m.text().includes("'https://cdn.redoc.ly/redoc/logo-mini.svg'"))
          problems.push(m.text());
      });
      page.on('response', (r) => {
        if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`);
      });
      page.on('pageerror', (e) => problems.push(e.message));
      // Loaded from another origin (the CSP blocks them, so a request that finished means the policy let it through).
      const offOrigin: string[] = [];
      page.on('requestfinished', (r) => {
        if (!r.url().startsWith(gateway.url) && !r.url().startsWith('blob:') && !r.url().startsWith('data:'))
          offOrigin.push(r.url());
      });
      await page.goto(`${gateway.url}/docs`);

      const full = generated('openapi.full.json') as {
        paths: Record<string, Record<string, { operationId: string; summary?: string }>>;
      };
      const operations = Object.values(full.paths).flatMap((item) => Object.values(item));
      expect(operations.length).toBeGreaterThan(20);
      // Redoc gives each operation a section named after its operationId: wait until all are there.
      const sections = page.locator('redoc [data-section-id^="operation/"]');
      await page.waitForFunction(
        `document.querySelectorAll('redoc [data-section-id^="operation/"]').length >= ${operations.length}`,
        undefined,
        { timeout: 30_000 },
      );
      expect(await sections.count()).toBe(operations.length);
      const reference = await page.locator('redoc').textContent();
      for (const op of operations) {
        expect(
          await page.locator(`redoc [data-section-id="operation/${op.operationId}"]`).count(),
          op.operationId,
        ).toBe(1);
        expect(op.summary, op.operationId).toBeTruthy();
        expect(reference, op.operationId).toContain(op.summary);
      }

      const { tools } = generated('mcp-tools.json') as {
        tools: Array<{ name: string; annotations: { readOnlyHint: boolean }; _meta: { toolset: string } }>;
      };
      for (const tool of tools) {
        const row = page.locator(`#toolset-${tool._meta.toolset} tr[data-tool="${tool.name}"]`);
        expect(await row.count(), tool.name).toBe(1);
        expect(await row.locator('td').first().textContent(), tool.name).toBe(tool.name);
        expect(await row.locator('td').nth(2).textContent(), tool.name).toBe(
          tool.annotations.readOnlyHint ? 'read-only' : 'writes',
        );
      }
      expect(await page.locator('#toolset-core h3').textContent()).toBe('core (listed by default)');
      expect(await page.locator('#toolset-admin h3').textContent()).toBe('admin');

      mkdirSync(join(root, '.tmp'), { recursive: true });
      const png = await page.screenshot({ fullPage: false });
      writeFileSync(join(root, '.tmp/docs.png'), png);
      expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
      expect(png.byteLength).toBeGreaterThan(30_000);
      // Scrolled to the reference, the screenshot shows Redoc's rendering rather than the tools table.
      await sections.first().scrollIntoViewIfNeeded();
      writeFileSync(join(root, '.tmp/docs-reference.png'), await page.screenshot({ fullPage: false }));

      expect(problems, 'console errors and CSP violations').toEqual([]);
      expect(offOrigin, 'requests to other origins').toEqual([]);
      await page.close();
    }, 90_000);
  });
});
