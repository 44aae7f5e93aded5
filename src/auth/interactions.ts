/**
 * Sign-in and consent are "Connect Notion". One small server-rendered page per authorization request:
 *   - not signed in: names the client asking and offers "Connect Notion" (the user authorizes a workspace at Notion;
 *     the Notion user who does so is the account, `user:<notion user id>`, and the connection belongs to it);
 *   - signed in: the client, a checkbox per connected workspace (what this grant may use), "Add another Notion
 *     workspace", Allow and Deny.
 * A consent page always comes before Notion: clients register themselves (DCR), so none is trusted to skip it.
 *
 * The operator signs in on the same page with ACTION_API_TOKEN or OPERATOR_PASSWORD (compared in constant time; a
 * client address gets OPERATOR_ATTEMPTS wrong tries per OPERATOR_WINDOW_SECONDS, then 429): the account is
 * `operator`, its connections are the operator's (NOTION_TOKEN's, and any added through the API), and the grant
 * reaches only the ticked ones (the token's principal is a user `operator`, never the operator's full powers). This
 * is what makes Developer Mode work without a Notion public integration; with one configured both sign-ins show.
 *
 * Coming back from Notion, the browser that completed Notion's flow carries a single-use ticket (made by
 * onNotionCompleted) to /connected, which also needs this interaction's cookie: a sign-in started in one browser
 * cannot be finished by another one (no login CSRF through a shared authorize link).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context, Next } from 'koa';
import Mustache from 'mustache';
import type Provider from 'oidc-provider';
import type { InteractionRecord } from 'oidc-provider';
import type { Logger } from 'pino';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import type { ConnectionSummary } from '../domain/connection-types.ts';
import type { ConnectionService } from '../domain/connections.ts';
import type { CompleteAuthorizationResult, NotionOAuth } from '../domain/notion-oauth.ts';
import { GatewayError } from '../shared/errors.ts';
import type { Principal } from '../shared/principal.ts';
import type { RecordStore } from './adapter.ts';
import { isActionsClient } from './clients.ts';
import type { GrantConnections } from './tokens.ts';
import { NOTION_SCOPE } from './tokens.ts';

const HINT_PREFIX = 'interaction:';
/** The account of the operator's sign-in (Notion OAuth accounts are `user:<notion user id>`). */
export const OPERATOR_ACCOUNT = 'operator';
/** Wrong operator sign-ins per client address and window before the page answers 429. */
export const OPERATOR_ATTEMPTS = 5;
export const OPERATOR_WINDOW_SECONDS = 15 * 60;

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/** Whether `given` is one of `secrets`, in time independent of where they differ (every secret is compared). */
export function matchesSecret(secrets: readonly string[], given: string): boolean {
  const candidate = digest(given);
  let found = false;
  for (const secret of secrets) found = timingSafeEqual(digest(secret), candidate) || found;
  return found && given !== '';
}
const MAX_FORM_BYTES = 16 * 1024;
// Scopes the provider lists itself (`scopes`): consent grants them as OP scopes, besides the resource's own.
const OIDC_SCOPES = new Set(['openid', 'offline_access', NOTION_SCOPE]);

interface SignIn {
  accountId: string;
  /** Connections added during this interaction (pre-selected on the page). */
  added: string[];
}

interface Ticket {
  uid: string;
  accountId: string;
  connectionId: string;
}

export interface InteractionOptions {
  provider: Provider;
  issuer: string;
  resources: { mcp: string; rest: string };
  grants: RecordStore;
  tickets: RecordStore;
  signIns: RecordStore;
  connections: ConnectionService;
  notionOAuth: NotionOAuth;
  /** ACTION_API_TOKEN, and OPERATOR_PASSWORD when set. */
  operatorSecrets: string[];
  grantTtlSeconds: number;
  logger: Logger;
}

// The pages are Mustache templates: every {{value}} is HTML-escaped, so a client_name, workspace name or error
// message is text, never markup. Triple braces (raw) are not used.
const LAYOUT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{{title}} · Notion Gateway</title><style>body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f6f6f4;color:#191919}
main{max-width:32rem;margin:3rem auto;background:#fff;padding:2rem;border-radius:8px;box-shadow:0 1px 3px #0002}
h1{font-size:1.5rem;margin-top:0}fieldset{border:1px solid #ccc;border-radius:6px;margin:1rem 0;padding:.5rem 1rem}
label{margin-left:.4rem}button{font:inherit;padding:.5rem 1rem;margin:.5rem .5rem 0 0;border-radius:6px;border:1px solid #555;background:#fff;cursor:pointer}
button.primary{background:#191919;color:#fff}[role=alert]{color:#a00;font-weight:600}.muted{color:#555;font-size:.9rem}
:focus-visible{outline:3px solid #2a6fdb;outline-offset:2px}</style></head><body><main>{{> body}}</main></body></html>`;

const EXPIRED = `<h1>This sign-in has expired</h1><p role="alert">The authorization request is unknown, finished or too old (an hour at most), or was started in another browser.</p><p>Go back to the app you came from and connect again.</p>`;

const ASKING = `<p><strong>{{clientName}}</strong>{{#redirectHost}} <span class="muted">(returns to {{redirectHost}})</span>{{/redirectHost}} asks to read and write your Notion workspaces through this gateway.</p>{{#error}}<p role="alert" id="error">{{error}}</p>{{/error}}`;

const SIGN_IN = `<h1>{{#notionSignIn}}Connect Notion{{/notionSignIn}}{{^notionSignIn}}Sign in{{/notionSignIn}}</h1>{{> asking}}{{#notionSignIn}}<p>Sign in by connecting a Notion workspace. You choose what {{clientName}} may use on the next page.</p>
<form method="post" action="{{pageUrl}}/notion"><button class="primary" type="submit">Connect Notion</button></form>{{/notionSignIn}}<form method="post" action="{{pageUrl}}/operator"{{#error}} aria-describedby="error"{{/error}}>
<h2>{{#notionSignIn}}Or sign in as the operator{{/notionSignIn}}{{^notionSignIn}}Operator sign-in{{/notionSignIn}}</h2>
<p class="muted">This gateway's API token (ACTION_API_TOKEN) or its OPERATOR_PASSWORD. You choose which of its connections {{clientName}} may use on the next page.</p>
<div><label for="operator-secret">Operator token or password</label></div>
<div><input type="password" id="operator-secret" name="secret" autocomplete="current-password" required></div>
<button{{^notionSignIn}} class="primary"{{/notionSignIn}} type="submit">Sign in</button></form>
<form method="post" action="{{pageUrl}}/confirm"><input type="hidden" name="decision" value="deny"><button type="submit">Cancel</button></form>`;

const CONSENT = `<h1>Allow access to Notion</h1>{{> asking}}
<form method="post" action="{{pageUrl}}/confirm"{{#error}} aria-describedby="error"{{/error}}>
<fieldset><legend>Workspaces {{clientName}} may use</legend>{{#workspaces}}<div><input type="checkbox" id="ws-{{index}}" name="connection_id" value="{{id}}"{{#checked}} checked{{/checked}}><label for="ws-{{index}}">{{name}}</label></div>{{/workspaces}}{{^workspaces}}<p>No workspace connected yet.</p>{{/workspaces}}</fieldset>
<button class="primary" type="submit" name="decision" value="allow">Allow</button><button type="submit" name="decision" value="deny">Deny</button>
</form>
{{#notionSignIn}}<form method="post" action="{{pageUrl}}/notion"><button type="submit">Add another Notion workspace</button></form>{{/notionSignIn}}
<p class="muted">You can revoke this access at any time from the app, or by removing the workspace's connection.</p>`;

function page(title: string, body: string, view: Record<string, unknown> = {}): string {
  return Mustache.render(LAYOUT, { ...view, title }, { body, asking: ASKING });
}

async function readForm(ctx: Context): Promise<URLSearchParams> {
  if (!ctx.is('application/x-www-form-urlencoded')) {
    throw new GatewayError('unsupported_media_type', 'Send the form as application/x-www-form-urlencoded.');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > MAX_FORM_BYTES) throw new GatewayError('payload_too_large', 'The form is too large.');
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

const asList = (value: unknown): string[] =>
  Array.isArray(value)
    ? value.filter((v): v is string => typeof v === 'string')
    : typeof value === 'string'
      ? [value]
      : [];

export function createInteractions(options: InteractionOptions) {
  const { provider, issuer } = options;
  const notionSignIn = options.notionOAuth.configured;
  const operatorFailures = new RateLimiterMemory({ points: OPERATOR_ATTEMPTS, duration: OPERATOR_WINDOW_SECONDS });
  const pageUrl = (uid: string) => `/oauth/interaction/${encodeURIComponent(uid)}`;
  const userOf = (accountId: string): Principal => ({ id: accountId, kind: 'user' });

  /** The interaction of this browser (its cookie), or an error page. */
  async function details(ctx: Context, uid: string): Promise<InteractionRecord | null> {
    try {
      const found = await provider.interactionDetails(ctx.req, ctx.res);
      if (found.uid === uid) return found;
    } catch {
      // SessionNotFound: cookie missing, expired or of another interaction.
    }
    ctx.status = 400;
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = page('Sign-in expired', EXPIRED);
    return null;
  }

  async function accountOf(interaction: InteractionRecord): Promise<{ accountId: string | null; added: string[] }> {
    const signIn = await options.signIns.get<SignIn>(interaction.uid);
    const accountId = interaction.session?.accountId ?? signIn?.accountId ?? null;
    return { accountId, added: signIn && signIn.accountId === accountId ? signIn.added : [] };
  }

  /** `selected`: the boxes to tick (a re-rendered form keeps the user's choice); default: what was just added. */
  async function render(ctx: Context, interaction: InteractionRecord, error?: string, selected?: string[]) {
    const client = await provider.Client.find(interaction.params.client_id);
    const clientName = client?.clientName || interaction.params.client_id;
    let redirectHost = '';
    try {
      redirectHost = new URL(String(interaction.params.redirect_uri)).host;
    } catch {
      // left empty
    }
    const { accountId, added } = await accountOf(interaction);
    const uid = interaction.uid;
    const view = { clientName, redirectHost, error, notionSignIn, pageUrl: pageUrl(uid) };
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    if (!accountId) {
      ctx.body = page(notionSignIn ? 'Connect Notion' : 'Sign in', SIGN_IN, view);
      return;
    }
    const list = await options.connections.list(userOf(accountId));
    const preselect = new Set(selected ?? (added.length ? added : list.length === 1 ? [list[0]!.connection_id] : []));
    const workspaces = list.map((c: ConnectionSummary, index) => ({
      index,
      id: c.connection_id,
      name: c.workspace_name ?? c.workspace_id ?? c.connection_id,
      checked: preselect.has(c.connection_id),
    }));
    ctx.body = page('Allow access', CONSENT, { ...view, workspaces });
  }

  async function startNotion(ctx: Context, interaction: InteractionRecord) {
    const { accountId } = await accountOf(interaction);
    const { authorizeUrl } = await options.notionOAuth.startAuthorization({
      signIn: accountId === null,
      principal: accountId ? userOf(accountId) : undefined,
      connectionHint: `${HINT_PREFIX}${interaction.uid}`,
      ownReturnUrl: `${issuer}${pageUrl(interaction.uid)}`,
    });
    ctx.status = 303;
    ctx.redirect(authorizeUrl);
  }

  /** The operator's sign-in: a secret of `operatorSecrets`, throttled per client address on failures. */
  async function operatorSignIn(ctx: Context, interaction: InteractionRecord) {
    const address = ctx.ip || 'unknown';
    const tooMany = () => {
      ctx.status = 429;
      ctx.set('Retry-After', String(OPERATOR_WINDOW_SECONDS));
      return render(ctx, interaction, 'Too many wrong sign-ins from this address: wait 15 minutes and try again.');
    };
    const seen = await operatorFailures.get(address);
    if (seen && seen.consumedPoints >= OPERATOR_ATTEMPTS) return tooMany();
    const form = await readForm(ctx);
    if (!matchesSecret(options.operatorSecrets, form.get('secret') ?? '')) {
      options.logger.warn({ client_id: interaction.params.client_id }, 'operator sign-in refused');
      try {
        await operatorFailures.consume(address);
      } catch {
        return tooMany();
      }
      ctx.status = 401;
      return render(ctx, interaction, 'That is not the operator token or password.');
    }
    await operatorFailures.delete(address);
    const session = interaction.session?.accountId;
    if (session && session !== OPERATOR_ACCOUNT) {
      return render(ctx, interaction, 'This browser is signed in with another account.');
    }
    await options.signIns.set(interaction.uid, { accountId: OPERATOR_ACCOUNT, added: [] } satisfies SignIn, 3600);
    ctx.status = 303;
    ctx.redirect(pageUrl(interaction.uid));
  }

  async function connected(ctx: Context, interaction: InteractionRecord) {
    const ticketId = typeof ctx.query.ticket === 'string' ? ctx.query.ticket : '';
    const ticket = ticketId ? await options.tickets.get<Ticket>(ticketId) : undefined;
    if (ticketId) await options.tickets.remove(ticketId);
    if (!ticket || ticket.uid !== interaction.uid) {
      return render(ctx, interaction, 'That Notion connection could not be attached to this sign-in: connect again.');
    }
    const session = interaction.session?.accountId;
    if (session && session !== ticket.accountId) {
      return render(ctx, interaction, 'That workspace was connected by another account.');
    }
    const previous = await options.signIns.get<SignIn>(interaction.uid);
    const added = previous?.accountId === ticket.accountId ? previous.added : [];
    await options.signIns.set(
      interaction.uid,
      { accountId: ticket.accountId, added: [...new Set([...added, ticket.connectionId])] } satisfies SignIn,
      3600,
    );
    ctx.status = 303;
    ctx.redirect(pageUrl(interaction.uid));
  }

  async function confirm(ctx: Context, interaction: InteractionRecord) {
    const form = await readForm(ctx);
    if (form.get('decision') !== 'allow') {
      ctx.respond = false;
      await provider.interactionFinished(
        ctx.req,
        ctx.res,
        { error: 'access_denied', error_description: 'The user declined.' },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    const { accountId } = await accountOf(interaction);
    if (!accountId)
      return render(ctx, interaction, notionSignIn ? 'Connect a Notion workspace first.' : 'Sign in first.');
    const owned = new Set((await options.connections.list(userOf(accountId))).map((c) => c.connection_id));
    const chosen = [...new Set(form.getAll('connection_id'))].filter((id) => owned.has(id));
    if (chosen.length === 0) {
      ctx.status = 400;
      return render(ctx, interaction, 'Choose at least one workspace, or Deny.', []);
    }
    const clientId = interaction.params.client_id;
    const requested = asList(interaction.params.resource);
    const resourcesAsked = requested.length
      ? requested
      : [isActionsClient(clientId) ? options.resources.rest : options.resources.mcp];
    const grant = new provider.Grant({ accountId, clientId });
    const oidcScopes = String(interaction.params.scope ?? '')
      .split(' ')
      .filter((s) => OIDC_SCOPES.has(s));
    if (oidcScopes.length) grant.addOIDCScope(oidcScopes.join(' '));
    for (const resource of resourcesAsked) {
      if (resource === options.resources.mcp || resource === options.resources.rest) {
        grant.addResourceScope(resource, NOTION_SCOPE);
      }
    }
    const grantId = await grant.save(options.grantTtlSeconds);
    await options.grants.set(
      grantId,
      { accountId, connections: chosen } satisfies GrantConnections,
      options.grantTtlSeconds,
      grantId,
    );
    await options.signIns.remove(interaction.uid);
    options.logger.info({ client_id: clientId, connections: chosen.length }, 'grant given');
    ctx.respond = false;
    await provider.interactionFinished(
      ctx.req,
      ctx.res,
      { login: { accountId }, consent: { grantId } },
      { mergeWithLastSubmission: false },
    );
  }

  return {
    async handle(ctx: Context, next: Next) {
      const m = /^\/oauth\/interaction\/([A-Za-z0-9_-]{1,64})(\/(notion|operator|connected|confirm))?$/.exec(ctx.path);
      if (!m) return next();
      const [, uid, , action] = m as unknown as [string, string, string | undefined, string | undefined];
      const method = action === 'notion' || action === 'operator' || action === 'confirm' ? 'POST' : 'GET';
      if (ctx.method !== method) {
        ctx.set('Allow', method);
        throw new GatewayError('method_not_allowed', `Use ${method} on ${ctx.path}.`);
      }
      ctx.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'");
      ctx.set('X-Frame-Options', 'DENY');
      ctx.set('Referrer-Policy', 'no-referrer');
      const interaction = await details(ctx, uid);
      if (!interaction) return;
      if (action === 'notion') return startNotion(ctx, interaction);
      if (action === 'operator') return operatorSignIn(ctx, interaction);
      if (action === 'connected') return connected(ctx, interaction);
      if (action === 'confirm') return confirm(ctx, interaction);
      const error = typeof ctx.query.error === 'string' ? ctx.query.error : null;
      return render(
        ctx,
        interaction,
        error ? `Notion did not connect a workspace (${error.slice(0, 64)}).` : undefined,
      );
    },

    /** A Notion authorization started here completed: a single-use ticket for the browser that finished it. */
    async onNotionCompleted(result: CompleteAuthorizationResult): Promise<{ returnUrl?: string } | undefined> {
      if (!result.connectionHint?.startsWith(HINT_PREFIX)) return undefined;
      const uid = result.connectionHint.slice(HINT_PREFIX.length);
      const ticket = randomBytes(32).toString('base64url');
      await options.tickets.set(
        ticket,
        { uid, accountId: result.owner.id, connectionId: result.connection.connection_id } satisfies Ticket,
        600,
      );
      return { returnUrl: `${issuer}${pageUrl(uid)}/connected?ticket=${ticket}` };
    },
  };
}
