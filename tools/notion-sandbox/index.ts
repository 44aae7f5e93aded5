// Public entry point of the Notion sandbox: startSandbox() starts a real HTTP server that
// @notionhq/client talks to through `baseUrl`. See README.md for what it supports.
import type { AddressInfo } from 'node:net';
import { adminHandler } from './admin.ts';
import { blockRoutes } from './blocks.ts';
import { commentRoutes } from './comments.ts';
import {
  Control,
  type Counters,
  type Fault,
  type FaultSpec,
  type LatencyConfig,
  normalizeRateLimit,
  type RateLimitConfig,
  type RateLimitReason,
  type RequestLogEntry,
} from './control.ts';
import { dataSourceRoutes } from './data-sources.ts';
import { databaseRoutes } from './databases.ts';
import { fileBytes, fileUploadRoutes } from './file-uploads.ts';
import { markdownRoutes } from './markdown.ts';
import { oauthRoutes } from './oauth.ts';
import { markTemplate, pageRoutes } from './pages.ts';
import { Router } from './router.ts';
import { searchRoutes } from './search.ts';
import { createSandboxServer } from './server.ts';
import { Store, type StoreState } from './store.ts';
import { userRoutes } from './users.ts';
import { viewRoutes } from './views.ts';

export type {
  Counters,
  Fault,
  FaultSpec,
  LatencyConfig,
  RateLimitConfig,
  RateLimitReason,
  RequestLogEntry,
  StoreState,
};

export interface SandboxOptions {
  port?: number; // 0 or omitted = ephemeral
  host?: string; // default '127.0.0.1'
  workspaces?: Array<{ token: string; id?: string; name?: string }>; // default: one workspace, token 'secret_sandbox'
  oauth?: { clientId: string; clientSecret: string }; // enables the OAuth routes
  rateLimit?: false | { perSecond?: number; burst?: number }; // default false (off)
  latencyMs?: number | { min: number; max: number }; // default 0
  snapshotFile?: string; // optional JSON persistence
}

export interface WorkspaceInfo {
  id: string;
  name: string;
  botId: string;
}

export interface Sandbox {
  url: string; // origin, e.g. 'http://127.0.0.1:54321' — the @notionhq/client `baseUrl`
  close(): Promise<void>;
  requestLog(): RequestLogEntry[];
  clearRequestLog(): void;
  reset(): void; // wipe all content, keep workspaces/tokens
  /** Request counters since the last clearRequestLog(): total, per route template, per status, per workspace. */
  counters(): Counters;
  /** Workspaces (ids, names, bot ids) — never tokens. */
  workspaces(): WorkspaceInfo[];
  /** Adds a workspace (or another token for an existing workspace id). */
  addWorkspace(ws: { token: string; id?: string; name?: string }): WorkspaceInfo;
  /**
   * Who may create workspace-level pages: 'all' (default; an empty sandbox has no shared page to start from) or
   * 'public', as real Notion does: only OAuth (public) integrations, an internal token gets a validation error.
   */
  setWorkspacePages(policy: 'all' | 'public'): void;
  setRateLimit(config: false | { perSecond?: number; burst?: number }): void;
  rateLimit(): RateLimitConfig | null;
  setLatency(latency: LatencyConfig): void;
  latency(): LatencyConfig;
  /** Injects faults; returns the fault id. */
  addFault(spec: FaultSpec): string;
  removeFault(id: string): boolean;
  clearFaults(): void;
  faults(): Fault[];
  /** Every route the sandbox serves, as `{method, template}`. */
  routes(): Array<{ method: string; template: string }>;
  /** A deep copy of the whole state (what the snapshot file holds). */
  snapshot(): StoreState;
  /** Writes the snapshot file now (no-op without options.snapshotFile). */
  save(): void;
  /**
   * Makes an existing page of a data source one of its templates (listed by GET /v1/data_sources/:id/templates,
   * applied by POST /v1/pages with `template`); `isDefault` makes it the default. `token` picks the workspace.
   */
  addTemplate(t: { pageId: string; isDefault?: boolean; token?: string }): void;
  /** Moves the clock of file-upload expiry forward (an upload not attached expires an hour after its creation). */
  advanceClock(ms: number): void;
  /** The workspace limit on one file (max_file_upload_size_in_bytes); default 5 GiB. */
  setMaxFileUploadBytes(bytes: number): void;
  /** The bytes of an uploaded file (by upload id) and their sha256, or null. */
  uploadedFile(id: string): { bytes: Buffer; sha256: string } | null;
  /** The default token of the first workspace — handy for tests. */
  token: string;
}

export const DEFAULT_TOKEN = 'secret_sandbox';

export function buildRouter(options: SandboxOptions): Router {
  const router = new Router();
  router.add(userRoutes);
  router.add(pageRoutes);
  router.add(blockRoutes);
  router.add(markdownRoutes);
  router.add(databaseRoutes);
  router.add(dataSourceRoutes);
  router.add(commentRoutes);
  router.add(viewRoutes);
  router.add(searchRoutes);
  router.add(fileUploadRoutes);
  if (options.oauth) router.add(oauthRoutes(options.oauth));
  return router;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const store = new Store(options.snapshotFile);
  const restored = store.load();
  const wsOpts = options.workspaces?.length ? options.workspaces : [{ token: DEFAULT_TOKEN }];
  // Tokens from options are (re)registered even after a restore, so a config change takes effect.
  for (const w of wsOpts) store.addWorkspace(w);
  if (!restored) store.save();
  const control = new Control(normalizeRateLimit(options.rateLimit), options.latencyMs ?? 0);
  const router = buildRouter(options);
  let url = '';
  let sandbox: Sandbox | undefined;
  const server = createSandboxServer({
    store,
    router,
    control,
    admin: adminHandler(() => sandbox!),
    origin: () => url,
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  url = `http://${host.includes(':') ? `[${host}]` : host}:${addr.port}`;
  store.origin = url;
  const info = (id: string): WorkspaceInfo => {
    const w = store.state.workspaces[id]!;
    return { id: w.id, name: w.name, botId: w.botId };
  };
  sandbox = {
    url,
    token: wsOpts[0]!.token,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
    requestLog: () => control.log.map((e) => ({ ...e })),
    clearRequestLog: () => control.clearLog(),
    reset: () => {
      store.reset();
      store.save();
    },
    counters: () => structuredClone(control.counters),
    workspaces: () => Object.keys(store.state.workspaces).map(info),
    addWorkspace: (w) => info(store.addWorkspace(w).id),
    setWorkspacePages: (policy) => {
      store.workspacePages = policy;
    },
    setRateLimit: (c) => control.rateLimiter.set(normalizeRateLimit(c)),
    rateLimit: () => control.rateLimiter.config,
    setLatency: (l) => {
      control.latency = l;
    },
    latency: () => control.latency,
    addFault: (spec) => control.addFault(spec).id,
    removeFault: (id) => control.removeFault(id),
    clearFaults: () => {
      control.faults = [];
    },
    faults: () => control.faults.map((f) => ({ ...f })),
    routes: () => router.list(),
    advanceClock: (ms) => {
      store.clockOffsetMs += ms;
    },
    setMaxFileUploadBytes: (bytes) => {
      store.maxFileUploadBytes = bytes;
    },
    uploadedFile: (id) => fileBytes(store, id),
    addTemplate: (t) => {
      const found = store.workspaceForToken(t.token ?? wsOpts[0]!.token);
      if (!found) throw new Error('addTemplate: unknown token.');
      markTemplate(found.ws, t.pageId, t.isDefault === true);
      store.save();
    },
    snapshot: () => structuredClone(store.state),
    save: () => store.save(),
  };
  return sandbox;
}
