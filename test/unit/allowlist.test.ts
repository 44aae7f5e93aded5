import { describe, expect, it } from 'vitest';
import { ALLOWED_ROUTES, checkQuery, resolveAllowedRoute } from '../../src/notion/allowlist.ts';
import { GatewayError } from '../../src/shared/errors.ts';

const ID = '0c6b2a4e-1111-4222-8333-444455556666';

describe('resolveAllowedRoute', () => {
  it('accepts a path with or without /v1 and a leading slash, and normalises ids', () => {
    for (const path of [
      `/v1/pages/${ID}`,
      `v1/pages/${ID}`,
      `/pages/${ID}`,
      `pages/${ID.replaceAll('-', '').toUpperCase()}`,
    ]) {
      expect(resolveAllowedRoute('get', path)).toMatchObject({ method: 'GET', path: `pages/${ID}` });
    }
  });

  it('encodes page-property ids and refuses ones that could change the route', () => {
    expect(resolveAllowedRoute('GET', `/v1/pages/${ID}/properties/a;b`).path).toBe(`pages/${ID}/properties/a%3Bb`);
    expect(() => resolveAllowedRoute('GET', `/v1/pages/${ID}/properties/..`)).toThrow(GatewayError);
  });

  it('routes the page-Markdown endpoints to the Notion version they need', () => {
    expect(resolveAllowedRoute('GET', `/v1/pages/${ID}/markdown`).rule.notionVersion).toBe('2026-03-11');
    expect(resolveAllowedRoute('GET', `/v1/pages/${ID}`).rule.notionVersion).toBeUndefined();
  });

  it.each([
    '/v1/pages/../users',
    `/v1/pages/${ID}%2Fchildren`,
    'https://api.notion.com/v1/users/me',
    '/v1//users/me',
    '/v1/users/me#x',
    '/v1/users\\me',
    '/v1/oauth/token',
    '/v1/oauth',
    `/v1/pages/${ID}/children`,
    '/v1/blocks/abc',
    '',
  ])('refuses %j with path_not_allowed', (path) => {
    expect(() => resolveAllowedRoute('POST', path)).toThrow(expect.objectContaining({ code: 'path_not_allowed' }));
  });

  it('names the methods a known route allows', () => {
    try {
      resolveAllowedRoute('DELETE', `/v1/pages/${ID}`);
      expect.unreachable();
    } catch (error) {
      expect((error as GatewayError).details.allowed_methods).toEqual(['GET', 'PATCH']);
    }
  });

  it('lists no OAuth route and no duplicate', () => {
    expect(ALLOWED_ROUTES.some((r) => r.template.startsWith('oauth'))).toBe(false);
    const keys = ALLOWED_ROUTES.map((r) => `${r.method} ${r.template}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('checkQuery', () => {
  const usersRule = resolveAllowedRoute('GET', '/v1/users').rule;
  it('passes documented scalar parameters and string lists', () => {
    expect(checkQuery(usersRule, { page_size: 10, start_cursor: 'abc' })).toEqual({
      page_size: 10,
      start_cursor: 'abc',
    });
    const pageRule = resolveAllowedRoute('GET', `/v1/pages/${ID}`).rule;
    expect(checkQuery(pageRule, { filter_properties: ['title', 'abc'] })).toEqual({
      filter_properties: ['title', 'abc'],
    });
  });
  it('refuses undocumented or nested parameters', () => {
    expect(() => checkQuery(usersRule, { evil: 1 })).toThrow(/not accepted/);
    expect(() => checkQuery(usersRule, { page_size: { $gt: 1 } })).toThrow(/must be a string/);
  });
});
