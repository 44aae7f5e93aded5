/**
 * The layer rules of .dependency-cruiser.cjs (run by `npm run lint`) hold for src/, and they are able to fail: a
 * copy of the rules over a small tree with one planted upward import reports exactly that import.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = join(import.meta.dirname, '../..');
const depcruise = join(root, 'node_modules/dependency-cruiser/bin/dependency-cruiser.mjs');

async function cruise(cwd: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout } = await run(process.execPath, [depcruise, 'src', '--config', '.dependency-cruiser.cjs'], { cwd });
    return { code: 0, output: stdout };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, output: `${e.stdout}${e.stderr}` };
  }
}

describe('layer rules', () => {
  const planted = mkdtempSync(join(tmpdir(), 'ng-layers-'));
  afterAll(() => rmSync(planted, { recursive: true, force: true }));

  it('src/ imports downward only', async () => {
    const { code, output } = await cruise(root);
    expect(output).toContain('no dependency violations found');
    expect(code).toBe(0);
  });

  it('fails on a planted upward import, naming the rule and the files', async () => {
    for (const file of ['.dependency-cruiser.cjs', 'tsconfig.json']) cpSync(join(root, file), join(planted, file));
    mkdirSync(join(planted, 'src/store'), { recursive: true });
    mkdirSync(join(planted, 'src/engine'), { recursive: true });
    writeFileSync(join(planted, 'src/engine/engine.ts'), 'export const engine = 1;\n');
    writeFileSync(
      join(planted, 'src/store/rows.ts'),
      "import { engine } from '../engine/engine.ts';\nexport const rows = engine;\n",
    );
    const { code, output } = await cruise(planted);
    expect(code).not.toBe(0);
    expect(output).toContain('store-imports-down-only');
    expect(output).toContain('src/store/rows.ts → src/engine/engine.ts');
  });

  it('keeps the authorization server below transport: auth importing transport is refused', async () => {
    const tree = mkdtempSync(join(tmpdir(), 'ng-layers-auth-'));
    try {
      for (const file of ['.dependency-cruiser.cjs', 'tsconfig.json']) cpSync(join(root, file), join(tree, file));
      mkdirSync(join(tree, 'src/auth'), { recursive: true });
      mkdirSync(join(tree, 'src/transport'), { recursive: true });
      writeFileSync(join(tree, 'src/transport/auth.ts'), 'export const gate = 1;\n');
      writeFileSync(
        join(tree, 'src/auth/server.ts'),
        "import { gate } from '../transport/auth.ts';\nexport const server = gate;\n",
      );
      const { code, output } = await cruise(tree);
      expect(code).not.toBe(0);
      expect(output).toContain('auth-imports-down-only');
      expect(output).toContain('src/auth/server.ts → src/transport/auth.ts');
    } finally {
      rmSync(tree, { recursive: true, force: true });
    }
  });
});
