import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authorizationRequest,
  OPERATOR_PASSWORD,
  type OperatorWorld,
  startOperatorWorld,
  workspacesReachedWith,
} from '../support/oauth.ts';

const CHROMIUM = '/usr/bin/chromium';
const REDIRECT = 'http://localhost:6274/oauth/callback';

const missing = !existsSync(CHROMIUM);
if (missing && !process.env.CI) {
  console.warn(`${CHROMIUM} is missing: the operator sign-in browser test is skipped (apt-get install -y chromium)`);
}

describe.skipIf(missing && !process.env.CI)('operator sign-in in headless Chromium', () => {
  let world: OperatorWorld;
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`);
    [world, browser] = await Promise.all([
      startOperatorWorld([{ name: 'Garden' }, { name: 'Studio' }]),
      chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] }),
    ]);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  it('refuses a wrong password, signs in with the right one, grants one connection', async () => {
    const { client_id, verifier, authorize } = await authorizationRequest(world.url, 'ChatGPT Test', REDIRECT);

    const context = await browser.newContext();
    const page = await context.newPage();
    let callback: URL | null = null;
    page.on('request', (request) => {
      if (request.url().startsWith(REDIRECT)) callback = new URL(request.url());
    });

    await page.goto(authorize.toString());
    await expect(page.title()).resolves.toBe('Sign in · Notion Gateway');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Sign in');
    expect(await page.getByRole('button', { name: 'Connect Notion' }).count()).toBe(0);
    const secret = page.getByLabel('Operator token or password');
    expect(await secret.getAttribute('type')).toBe('password');

    await secret.fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toBe('That is not the operator token or password.');
    expect(callback).toBeNull();

    await page.getByLabel('Operator token or password').fill(OPERATOR_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/oauth\/interaction\/[^/]+$/);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Allow access to Notion');
    expect(await page.getByRole('button', { name: 'Add another Notion workspace' }).count()).toBe(0);
    const garden = page.getByRole('checkbox', { name: 'Garden' });
    const studio = page.getByRole('checkbox', { name: 'Studio' });
    expect(await garden.isChecked()).toBe(false);
    expect(await studio.isChecked()).toBe(false);
    await studio.check();
    const redirected = page.waitForRequest((request) => request.url().startsWith(REDIRECT));
    await page.getByRole('button', { name: 'Allow' }).click();
    const back = new URL((await redirected).url());
    expect(back.searchParams.get('state')).toBe('browser-state');
    const code = back.searchParams.get('code');
    expect(code).toBeTruthy();
    await context.close();

    expect(await workspacesReachedWith(world.url, { code: code!, client_id, verifier, redirectUri: REDIRECT })).toEqual(
      ['Studio'],
    );
  }, 60_000);
});
