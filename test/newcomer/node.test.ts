/**
 * What README's "Which Node" paragraph promises: scripts run on the Node 24 the project brings, `engines` says what
 * the README says, and `npm ci` has no install script left to warn about.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  engines: { node: string };
  devDependencies: Record<string, string>;
  allowScripts: Record<string, boolean>;
};
const readme = readFileSync(join(root, 'README.md'), 'utf8');

describe('the Node the project runs on', () => {
  it('brings Node 24 as a devDependency, and npm scripts (this test too) run on it', () => {
    expect(pkg.devDependencies.node).toMatch(/^\^24\./);
    expect(Number(process.versions.node.split('.')[0])).toBe(24);
  });

  it('README states the engines requirement and the node@24 devDependency', () => {
    const minimum = /^>=(\d+\.\d+)$/.exec(pkg.engines.node)?.[1];
    expect(minimum).toBeDefined();
    expect(readme).toContain(`Node ≥ ${minimum}`);
    expect(readme).toContain('`node@24` devDependency');
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm ci && npm test');
  });

  it('allows exactly the node package install script; npm has none left to review', () => {
    // node@24's preinstall brings the project's Node; the denied scripts are telemetry, a no-op outside a source
    // checkout, a donation banner and redoc's husky `prepare` (which npm never runs for a registry package anyway).
    expect(pkg.allowScripts).toEqual({
      node: true,
      '@scarf/scarf': false,
      '@modelcontextprotocol/inspector': false,
      'core-js': false,
      redoc: false,
    });
    const npm = process.env.npm_execpath;
    const out = npm
      ? execFileSync(process.execPath, [npm, 'install-scripts', 'ls'], { cwd: root, encoding: 'utf8' })
      : execFileSync('npm', ['install-scripts', 'ls'], { cwd: root, encoding: 'utf8' });
    expect(out).toContain('No packages with unreviewed install scripts');
  });
});
