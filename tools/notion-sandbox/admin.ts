// The admin API under /__sandbox/… — the same controls as the Sandbox object, for out-of-process users
// (`npm run sandbox -- --port N`, benchmarks). Unauthenticated: the sandbox binds to loopback.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FaultSpec } from './control.ts';
import type { Sandbox } from './index.ts';
import { sendJson } from './server.ts';

function parse(body: string): Record<string, unknown> {
  if (!body.trim()) return {};
  const v = JSON.parse(body) as unknown;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('Admin body must be a JSON object.');
  return v as Record<string, unknown>;
}

export function adminHandler(sb: () => Sandbox) {
  return async (req: IncomingMessage, res: ServerResponse, path: string, text: string): Promise<void> => {
    const s = sb();
    const method = (req.method ?? 'GET').toUpperCase();
    const route = `${method} ${path.replace(/\/+$/, '')}`;
    const body = parse(text);
    const ok = (v: unknown = { ok: true }) => sendJson(res, 200, v);
    // An attached file's url (what Notion's signed S3 URL serves): the bytes, no auth.
    const file = /^GET \/__sandbox\/files\/([0-9a-f-]{36})\//.exec(route);
    if (file) {
      const found = s.uploadedFile(file[1]!);
      if (!found) return sendJson(res, 404, { ok: false, error: 'no such file' });
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': found.bytes.length });
      res.end(found.bytes);
      return;
    }
    switch (route) {
      case 'GET /__sandbox':
      case 'GET /__sandbox/health':
        return ok({ ok: true, url: s.url });
      case 'GET /__sandbox/requests':
        return ok({ requests: s.requestLog() });
      case 'DELETE /__sandbox/requests':
        s.clearRequestLog();
        return ok();
      case 'GET /__sandbox/counters':
        return ok(s.counters());
      case 'POST /__sandbox/reset':
        s.reset();
        if (body.requests === true) s.clearRequestLog();
        if (body.controls === true) {
          s.clearFaults();
          s.setRateLimit(false);
          s.setLatency(0);
        }
        return ok();
      case 'GET /__sandbox/faults':
        return ok({ faults: s.faults() });
      case 'POST /__sandbox/faults': {
        const id = s.addFault(body as unknown as FaultSpec);
        return ok({ id });
      }
      case 'DELETE /__sandbox/faults':
        s.clearFaults();
        return ok();
      case 'GET /__sandbox/rate-limit':
        return ok({ rateLimit: s.rateLimit() });
      case 'POST /__sandbox/rate-limit':
        s.setRateLimit(
          body.enabled === false
            ? false
            : { perSecond: body.perSecond as number | undefined, burst: body.burst as number | undefined },
        );
        return ok({ rateLimit: s.rateLimit() });
      case 'GET /__sandbox/latency':
        return ok({ latency: s.latency() });
      case 'POST /__sandbox/latency':
        s.setLatency(
          typeof body.ms === 'number' ? body.ms : { min: Number(body.min ?? 0), max: Number(body.max ?? 0) },
        );
        return ok({ latency: s.latency() });
      case 'GET /__sandbox/workspaces':
        return ok({ workspaces: s.workspaces() });
      case 'POST /__sandbox/workspaces':
        return ok(s.addWorkspace(body as { token: string; id?: string; name?: string }));
      case 'GET /__sandbox/routes':
        return ok({ routes: s.routes() });
      case 'POST /__sandbox/templates':
        // {page_id, is_default?, token?}: an existing page of a data source becomes one of its templates.
        s.addTemplate({
          pageId: String(body.page_id ?? ''),
          isDefault: body.is_default === true,
          token: typeof body.token === 'string' ? body.token : undefined,
        });
        return ok();
      case 'POST /__sandbox/snapshot':
        s.save();
        return ok();
      case 'POST /__sandbox/seed': {
        const { seedDemoWorkspace } = await import('./seed.ts');
        return ok(await seedDemoWorkspace(s, typeof body.token === 'string' ? body.token : undefined));
      }
    }
    const m = /^DELETE \/__sandbox\/faults\/(.+)$/.exec(route);
    if (m) return ok({ removed: s.removeFault(m[1]!) });
    sendJson(res, 404, {
      object: 'error',
      status: 404,
      code: 'invalid_request_url',
      message: `Unknown admin route ${route}`,
    });
  };
}
