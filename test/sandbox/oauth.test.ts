import { APIErrorCode, Client, LogLevel } from '@notionhq/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../tools/notion-sandbox/index.ts';

const clientId = 'client-123';
const clientSecret = 'shh';
const redirect = 'http://localhost:9999/callback';
let sb: Sandbox;
let sdk: Client;

beforeAll(async () => {
  sb = await startSandbox({
    workspaces: [
      { token: 'secret_a', name: 'Workspace A' },
      { token: 'secret_b', name: 'Workspace B' },
    ],
    oauth: { clientId, clientSecret },
  });
  sdk = new Client({ baseUrl: sb.url, retry: false, logLevel: LogLevel.ERROR });
});
afterAll(() => sb.close());

async function authorize(extra = ''): Promise<URL> {
  const res = await fetch(
    `${sb.url}/v1/oauth/authorize?client_id=${clientId}&redirect_uri=${encodeURIComponent(redirect)}&response_type=code&owner=user&state=xyz${extra}`,
    { redirect: 'manual' },
  );
  expect(res.status).toBe(302);
  return new URL(res.headers.get('location')!);
}

describe('OAuth', () => {
  it('auto-approves, exchanges a single-use code and the token works as a bearer token', async () => {
    const wsB = sb.workspaces()[1]!;
    const loc = await authorize(`&sandbox_workspace=${wsB.id}`);
    expect(loc.origin + loc.pathname).toBe(redirect);
    expect(loc.searchParams.get('state')).toBe('xyz');
    const code = loc.searchParams.get('code')!;
    const tok = await sdk.oauth.token({
      client_id: clientId,
      client_secret: clientSecret,
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirect,
    });
    expect(tok).toMatchObject({
      token_type: 'bearer',
      workspace_id: wsB.id,
      workspace_name: 'Workspace B',
      duplicated_template_id: null,
      owner: { type: 'user' },
    });
    expect(tok.refresh_token).toBeTruthy();
    const me = await new Client({ auth: tok.access_token, baseUrl: sb.url }).users.me({});
    expect(me.id).toBe(tok.bot_id);
    await expect(
      sdk.oauth.token({
        client_id: clientId,
        client_secret: clientSecret,
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirect,
      }),
    ).rejects.toMatchObject({ status: 400, body: expect.stringContaining('invalid_grant') });

    // Same client + workspace → same bot id.
    const again = await sdk.oauth.token({
      client_id: clientId,
      client_secret: clientSecret,
      grant_type: 'authorization_code',
      code: (await authorize(`&sandbox_workspace=${wsB.id}`)).searchParams.get('code')!,
      redirect_uri: redirect,
    });
    expect(again.bot_id).toBe(tok.bot_id);
  });

  it('binds codes to redirect_uri and rejects bad client credentials', async () => {
    const code = (await authorize()).searchParams.get('code')!;
    await expect(
      sdk.oauth.token({
        client_id: clientId,
        client_secret: clientSecret,
        grant_type: 'authorization_code',
        code,
        redirect_uri: 'http://evil/cb',
      }),
    ).rejects.toMatchObject({ status: 400 });
    await expect(
      sdk.oauth.token({
        client_id: clientId,
        client_secret: 'wrong',
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirect,
      }),
    ).rejects.toMatchObject({ status: 401, body: expect.stringContaining('invalid_client') });
  });

  it('denies, rejects unknown clients, refreshes, introspects and revokes', async () => {
    const denied = await authorize('&sandbox_deny=1');
    expect(denied.searchParams.get('error')).toBe('access_denied');
    expect(denied.searchParams.get('state')).toBe('xyz');
    const unknown = await fetch(
      `${sb.url}/v1/oauth/authorize?client_id=other&redirect_uri=${encodeURIComponent(redirect)}&response_type=code`,
      { redirect: 'manual' },
    );
    expect(unknown.status).toBe(400);

    const code = (await authorize()).searchParams.get('code')!;
    const first = await sdk.oauth.token({
      client_id: clientId,
      client_secret: clientSecret,
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirect,
    });
    expect(first.workspace_id).toBe(sb.workspaces()[0]!.id);
    const second = await sdk.oauth.token({
      client_id: clientId,
      client_secret: clientSecret,
      grant_type: 'refresh_token',
      refresh_token: first.refresh_token!,
    });
    expect(second.access_token).not.toBe(first.access_token);
    expect(second.bot_id).toBe(first.bot_id);
    await expect(
      sdk.oauth.token({
        client_id: clientId,
        client_secret: clientSecret,
        grant_type: 'refresh_token',
        refresh_token: first.refresh_token!,
      }),
    ).rejects.toMatchObject({ status: 400 });

    const intro = await sdk.oauth.introspect({
      client_id: clientId,
      client_secret: clientSecret,
      token: second.access_token,
    });
    expect(intro.active).toBe(true);
    expect(typeof intro.iat).toBe('number');
    await sdk.oauth.revoke({ client_id: clientId, client_secret: clientSecret, token: second.access_token });
    expect(
      (await sdk.oauth.introspect({ client_id: clientId, client_secret: clientSecret, token: second.access_token }))
        .active,
    ).toBe(false);
    await expect(
      new Client({ auth: second.access_token, baseUrl: sb.url, retry: false, logLevel: LogLevel.ERROR }).users.me({}),
    ).rejects.toMatchObject({
      code: APIErrorCode.Unauthorized,
    });
  });
});
