import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizationRequest, type OAuthWorld, startOAuthWorld, workspacesReachedWith } from '../support/oauth.ts';

const CHROMIUM = '/usr/bin/chromium';
const REDIRECT = 'http://localhost:6274/oauth/callback';

// CI (.ci/run sets CI and installs chromium) fails without the browser; a developer machine without it skips, loudly.
const missing = !existsSync(CHROMIUM);
if (missing && !process.env.CI) {
  console.warn(`${CHROMIUM} is missing: the consent-page browser test is skipped (apt-get install -y chromium)`);
}

describe.skipIf(missing && !process.env.CI)('consent page in headless Chromium', () => {
  let world: OAuthWorld;
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`);
    [world, browser] = await Promise.all([
      startOAuthWorld([{ name: 'Garden' }, { name: 'Studio' }]),
      chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] }),
    ]);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  it('signs in through Notion, adds a workspace, grants one, and the token reaches only that one', async () => {
    const { client_id, verifier, authorize } = await authorizationRequest(world.url, 'Inspector Test', REDIRECT);

    const context = await browser.newContext();
    const page = await context.newPage();
    // The sandbox's Notion consent auto-approves the workspace named in sandbox_workspace: the gateway's redirect to
    // Notion (the answer to "Connect Notion") gets that parameter added on its way to the browser.
    const [garden, studio] = world.sandbox.workspaces().map((w) => w.id);
    let nextWorkspace = garden!;
    await page.route(/\/oauth\/interaction\/[^/]+\/notion$/, async (route) => {
      const response = await route.fetch({ maxRedirects: 0 });
      const location = new URL(response.headers().location!);
      location.searchParams.set('sandbox_workspace', nextWorkspace);
      await route.fulfill({ response, headers: { ...response.headers(), location: location.toString() } });
    });
    // Nothing listens on the client's redirect URI: the request the browser makes there is what counts.
    let callback: URL | null = null;
    page.on('request', (request) => {
      if (request.url().startsWith(REDIRECT)) callback = new URL(request.url());
    });

    await page.goto(authorize.toString());
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    await expect(page.title()).resolves.toBe('Connect Notion · Notion Gateway');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Connect Notion');
    expect(await page.locator('main').textContent()).toContain('Inspector Test');
    expect(await page.locator('main').textContent()).toContain('localhost:6274');

    await page.getByRole('button', { name: 'Connect Notion' }).click();
    await page.waitForURL(/\/oauth\/interaction\/[^/]+$/);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Allow access to Notion');
    const gardenBox = page.getByRole('checkbox', { name: 'Garden' });
    expect(await gardenBox.isChecked()).toBe(true);

    nextWorkspace = studio!;
    await page.getByRole('button', { name: 'Add another Notion workspace' }).click();
    const studioBox = page.getByRole('checkbox', { name: 'Studio' });
    await studioBox.waitFor();
    expect(await studioBox.isChecked()).toBe(true);
    expect(await page.getByRole('group', { name: /Workspaces Inspector Test may use/ }).count()).toBe(1);

    // Nothing chosen: the page says so in an alert and grants nothing.
    await page.getByRole('checkbox', { name: 'Garden' }).uncheck();
    await studioBox.uncheck();
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('Choose at least one workspace');
    expect(callback).toBeNull();

    // Keyboard only: tab to Studio, tick it with Space, submit with Enter on Allow.
    await page.getByRole('checkbox', { name: 'Studio' }).focus();
    await page.keyboard.press('Space');
    await page.getByRole('button', { name: 'Allow' }).focus();
    const redirected = page.waitForRequest((request) => request.url().startsWith(REDIRECT));
    await page.keyboard.press('Enter');
    const back = new URL((await redirected).url());
    expect(back?.searchParams.get('state')).toBe('browser-state');
    const code = back?.searchParams.get('code');
    expect(code).toBeTruthy();
    await context.close();

    expect(await workspacesReachedWith(world.url, { code: code!, client_id, verifier, redirectUri: REDIRECT })).toEqual(
      ['Studio'],
    );
  }, 60_000);
});
