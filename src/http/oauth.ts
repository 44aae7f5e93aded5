/**
 * The two operations of the contract that are browser redirects, not engine calls: Notion's OAuth consent flow.
 * The flow itself (signed single-use state, code exchange, storing the connection) lives in src/domain/notion-oauth.ts.
 */
import type { Context } from 'koa';
import type { NotionOAuth } from '../domain/notion-oauth.ts';
import type { HttpOnlyOperationId } from '../engine/types.ts';
import { GatewayError } from '../shared/errors.ts';
import { OPERATOR } from '../shared/principal.ts';
import { okEnvelope, type RequestState } from '../transport/context.ts';

type Query = Record<string, unknown>;
const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : null);

export function oauthHandlers(
  oauth: NotionOAuth,
): Record<HttpOnlyOperationId, (query: Query, ctx: Context) => Promise<void>> {
  return {
    async oauth_start(query, ctx) {
      const { authorizeUrl } = await oauth.startAuthorization({
        returnUrl: text(query.return_url),
        connectionHint: text(query.connection_hint),
        principal: (ctx.state as RequestState).principal ?? OPERATOR,
      });
      ctx.redirect(authorizeUrl);
    },

    async oauth_callback(query, ctx) {
      let completed: Awaited<ReturnType<NotionOAuth['completeAuthorization']>>;
      try {
        completed = await oauth.completeAuthorization({
          code: text(query.code),
          state: text(query.state),
          error: text(query.error),
        });
      } catch (error) {
        // A valid state names where the browser should land, even when the grant failed (declined, bad code):
        // send it back there with the error code rather than strand the user on a JSON page.
        const returnUrl = error instanceof GatewayError ? error.details.return_url : undefined;
        if (typeof returnUrl !== 'string') throw error;
        const target = new URL(returnUrl);
        target.searchParams.set('error', (error as GatewayError).code);
        ctx.redirect(target.toString());
        return;
      }
      const { connection, created, returnUrl } = completed;
      if (returnUrl) {
        const target = new URL(returnUrl);
        target.searchParams.set('connection_id', connection.connection_id);
        ctx.redirect(target.toString());
        return;
      }
      ctx.body = okEnvelope({ connection, created }, ctx);
    },
  };
}
