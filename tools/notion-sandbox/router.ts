// A tiny path-template router. Templates look like '/v1/pages/:page_id'; the template string is also
// the route's name in the request log, counters and fault filters.
import type { Store, TokenRec, Workspace } from './store.ts';

export interface Ctx {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: Record<string, unknown>;
  /** The body's bytes as received (a `body: 'form'` route reads its multipart/form-data from here). */
  rawBody: Buffer;
  headers: Record<string, string | string[] | undefined>;
  store: Store;
  /** Set for bearer-authenticated routes. */
  ws: Workspace;
  tok: TokenRec;
  /** The Notion-Version the client sent. */
  version: string;
  /** Origin of the sandbox (for url fields and redirects). */
  origin: string;
  requestId: string;
}

/** A handler may return a plain JSON body (status 200) or a RawResponse (redirects, custom status). */
export class RawResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
  constructor(status: number, headers: Record<string, string>, body: unknown = undefined) {
    this.status = status;
    this.headers = headers;
    this.body = body;
  }
}

export type Auth = 'bearer' | 'basic' | 'none';

export interface Route {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  template: string;
  /** bearer (default): token → workspace; basic: OAuth client credentials; none: browser-facing. */
  auth?: Auth;
  /** Whether the Notion-Version header is required (default true for bearer routes). */
  version?: boolean;
  /** `json` (default, ≤ 500 KB) or `form`: multipart/form-data of a file upload's send (≤ 20 MB, in rawBody). */
  body?: 'json' | 'form';
  handler: (ctx: Ctx) => unknown;
}

interface Compiled {
  route: Route;
  re: RegExp;
  names: string[];
}

export class Router {
  #routes: Compiled[] = [];

  add(routes: readonly Route[]): void {
    for (const route of routes) {
      const names: string[] = [];
      const src = route.template.replace(/:([a-z_]+)/g, (_m, n: string) => {
        names.push(n);
        return '([^/]+)';
      });
      this.#routes.push({ route, re: new RegExp(`^${src}/?$`), names });
    }
  }

  /** Returns the route and its params, or null. `methodMismatch` distinguishes 405-ish cases (Notion answers 400 anyway). */
  match(method: string, path: string): { route: Route; params: Record<string, string> } | null {
    for (const c of this.#routes) {
      if (c.route.method !== method) continue;
      const m = c.re.exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      c.names.forEach((n, i) => {
        params[n] = decodeURIComponent(m[i + 1]!);
      });
      return { route: c.route, params };
    }
    return null;
  }

  list(): Array<{ method: string; template: string }> {
    return this.#routes.map((c) => ({ method: c.route.method, template: c.route.template }));
  }
}
