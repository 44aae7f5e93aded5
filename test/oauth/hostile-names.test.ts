/**
 * The sign-in, consent and home pages are escape-by-default templates: a client's self-registered client_name and a
 * workspace's name (both chosen by someone else) reach the page as text, never as markup.
 */
import Mustache from 'mustache';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { homeHtml, homeIndex } from '../../src/home.ts';
import {
  authorizationRequest,
  CookieBrowser,
  consentChoices,
  OPERATOR_PASSWORD,
  type OperatorWorld,
  startOperatorWorld,
} from '../support/oauth.ts';

const CLIENT_NAME = '<script>alert("client")</script><img src=x onerror=alert(1)>';
const WORKSPACE = "\"><script>alert('ws')</script>";
const REDIRECT = 'http://127.0.0.1:5173/oauth/callback';

describe('hostile names on the HTML pages', () => {
  let world: OperatorWorld;
  beforeAll(async () => {
    world = await startOperatorWorld([{ name: WORKSPACE }]);
  }, 60_000);
  afterAll(async () => world?.close());

  it('shows a hostile client_name and workspace name as text on the sign-in and consent pages', async () => {
    const { authorize } = await authorizationRequest(world.url, CLIENT_NAME, REDIRECT);
    const browser = new CookieBrowser();
    const signIn = await browser.follow(authorize, (u) => u.href.startsWith(REDIRECT));
    expect(signIn.res.status).toBe(200);
    const signInHtml = await signIn.res.text();
    expect(signInHtml).toContain(`<strong>${Mustache.escape(CLIENT_NAME)}</strong>`);
    expect(signInHtml).toContain('&lt;script&gt;alert(&quot;client&quot;)&lt;&#x2F;script&gt;');
    expect(signInHtml).not.toMatch(/<script|<img/);

    const signedIn = await browser.post(new URL(`${signIn.url.pathname}/operator`, world.url), [
      ['secret', OPERATOR_PASSWORD],
    ]);
    expect(signedIn.status).toBe(303);
    const consent = await browser.follow(new URL(signedIn.headers.get('location')!, world.url));
    expect(consent.res.status).toBe(200);
    const consentHtml = await consent.res.text();
    expect(consentHtml).toContain(`<legend>Workspaces ${Mustache.escape(CLIENT_NAME)} may use</legend>`);
    expect(consentChoices(consentHtml).map((c) => c.label)).toEqual([Mustache.escape(WORKSPACE)]);
    expect(consentHtml).not.toMatch(/<script|<img|"><script/);
  });

  it('escapes what the home page shows', () => {
    const index = homeIndex('https://gw.example/"><script>x</script>', { version: '<b>1</b>', mcpAuth: 'bearer' });
    const html = homeHtml(index);
    expect(html).toContain(`href="${Mustache.escape(index.links.mcp)}"`);
    expect(html).toContain('&lt;b&gt;1&lt;&#x2F;b&gt;');
    expect(html).not.toMatch(/<script|<b>/);
  });
});
