import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startSandbox } from '../../tools/notion-sandbox/index.ts';
import { rt, sdk } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'notion-sandbox-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('snapshot persistence', () => {
  it('restores pages and workspaces from the snapshot file after a restart', async () => {
    const file = join(dir, 'state.json');
    const a = await startSandbox({ snapshotFile: file });
    const page = await sdk(a).pages.create({
      parent: { type: 'workspace', workspace: true },
      properties: { title: { title: rt('Persisted') } },
    });
    const wsId = a.workspaces()[0]!.id;
    await a.close();
    const b = await startSandbox({ snapshotFile: file });
    expect(b.workspaces()[0]!.id).toBe(wsId);
    await expect(sdk(b).pages.retrieve({ page_id: page.id })).resolves.toMatchObject({ id: page.id });
    await b.close();
  });
});
