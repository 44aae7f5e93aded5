/**
 * `npm run gen:check` is what CI runs: it must pass on the committed tree and fail as soon as spec/ and generated/
 * disagree (here: a description edited in a copy of the project without regenerating).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
const copy = mkdtempSync(join(tmpdir(), 'ng-gencheck-'));
for (const entry of ['spec', 'generated', 'tools/codegen', 'src/contract', 'tspconfig.yaml', 'package.json']) {
  cpSync(join(root, entry), join(copy, entry), { recursive: true });
}
symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'));
afterAll(() => rmSync(copy, { recursive: true, force: true }));

const genCheck = () =>
  execFileSync(process.execPath, [join(copy, 'tools/codegen/gen.ts'), '--check'], {
    cwd: copy,
    stdio: 'pipe',
  }).toString();

describe('gen:check', () => {
  it('passes when generated/ matches spec/', () => {
    expect(genCheck()).toContain('generated/ matches spec/');
  });

  it('fails when a description changed in spec/ without regenerating, naming the tool', () => {
    const file = join(copy, 'spec/services/notion.tsp');
    const edited = readFileSync(file, 'utf8')
      .replace('Search Notion by title', 'Search Notion by its title')
      .replace('Finds pages and data sources by title:', 'Finds pages and data sources by their title:');
    writeFileSync(file, edited);
    let failure = '';
    try {
      genCheck();
    } catch (error) {
      failure = String((error as { stderr?: Buffer }).stderr);
    }
    expect(failure).toContain('generated/ is out of date with spec/');
    expect(failure).toContain('openapi.actions.json');
    expect(failure).toContain('mcp-tools/notion_search.json'); // its tool's own snapshot names the change
  });

  it('fails on a tool snapshot no tool has any more', () => {
    writeFileSync(join(copy, 'generated/mcp-tools/notion_gone.json'), '{}\n');
    let failure = '';
    try {
      genCheck();
    } catch (error) {
      failure = String((error as { stderr?: Buffer }).stderr);
    }
    expect(failure).toContain('mcp-tools/notion_gone.json');
  });
});
