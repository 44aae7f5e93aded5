// seedDemoWorkspace(): builds a small demo workspace through the public HTTP API (via @notionhq/client),
// so whatever it creates is exactly what a real integration could create.
import { Client } from '@notionhq/client';
import type { Sandbox } from './index.ts';

export interface DemoWorkspace {
  rootPageId: string;
  /** Filled once data sources exist (step 2). */
  projects?: { databaseId: string; dataSourceId: string; pageIds: string[] };
  tasks?: { databaseId: string; dataSourceId: string; pageIds: string[] };
}

/** `target` is a running Sandbox or a sandbox origin URL; `token` defaults to the sandbox's first token. */
export async function seedDemoWorkspace(target: Sandbox | string, token?: string): Promise<DemoWorkspace> {
  const baseUrl = typeof target === 'string' ? target : target.url;
  const auth = token ?? (typeof target === 'string' ? 'secret_sandbox' : target.token);
  const notion = new Client({ auth, baseUrl });
  const root = await notion.pages.create({
    parent: { type: 'workspace', workspace: true },
    properties: { title: { title: [{ text: { content: 'Demo workspace' } }] } },
  });
  return { rootPageId: root.id };
}
