/**
 * docker compose as a newcomer meets it: it refuses to start without the required secrets (with a message saying what
 * to set), passes every documented variable to the gateway, ships what `npm start`, `npm run migrate` and
 * `npm run rotate-keys` need without devDependencies, and its health check follows PORT.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENV_VARIABLES } from '../../src/config/env.ts';

const root = join(import.meta.dirname, '..', '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const compose = read('docker-compose.yml');
const dockerfile = read('Dockerfile');
const pkg = JSON.parse(read('package.json')) as {
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
};

/** Set by docker-compose.yml itself (PostgreSQL service, volume, container network, build argument), not from .env. */
const SET_BY_COMPOSE = ['DATABASE_URL', 'DATA_DIR', 'PGLITE_DATA_DIR', 'HOST', 'TRUST_PROXY', 'BUILD_SHA'];
const REQUIRED = ['ACTION_API_TOKEN', 'TOKEN_ENCRYPTION_KEYS'];

/** The `environment:` mapping of the api service, as written (name → raw value). */
function apiEnvironment(): Map<string, string> {
  const lines = compose.split('\n');
  const api = lines.indexOf('  api:');
  const start = lines.indexOf('    environment:', api);
  const env = new Map<string, string>();
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === '' || line.trim().startsWith('#')) continue;
    const m = /^ {6}([A-Z0-9_]+): (.*)$/.exec(line);
    if (!m) break;
    env.set(m[1]!, m[2]!);
  }
  return env;
}

/** Each top-level service of docker-compose.yml (name → its indented block). */
function serviceBlocks(): Map<string, string> {
  const body = compose.slice(compose.indexOf('\nservices:\n') + 11, compose.indexOf('\nvolumes:\n'));
  const blocks = new Map<string, string>();
  for (const block of body.split(/\n(?= {2}[a-z][a-z-]*:\n)/)) {
    const name = /^ {2}([a-z][a-z-]*):\n/.exec(block.replace(/^\n+/, ''))?.[1];
    if (name) blocks.set(name, block);
  }
  return blocks;
}

describe('docker-compose.yml', () => {
  const env = apiEnvironment();

  it('passes every documented variable from the shell or .env to the gateway', () => {
    const passed = [...env.keys()].filter((k) => !SET_BY_COMPOSE.includes(k));
    expect(passed.sort()).toEqual(ENV_VARIABLES.filter((k) => !SET_BY_COMPOSE.includes(k)).sort());
    for (const name of passed) expect(env.get(name), name).toContain(`\${${name}:`);
  });

  it('sets its own variables to the values the container needs', () => {
    for (const name of ['DATABASE_URL', 'DATA_DIR', 'HOST']) expect(env.has(name), name).toBe(true);
    expect(env.get('DATA_DIR')).toBe('/data');
    expect(env.get('HOST')).toBe('0.0.0.0');
  });

  it('refuses to start without ACTION_API_TOKEN and TOKEN_ENCRYPTION_KEYS, saying what to set', () => {
    for (const name of REQUIRED) {
      expect(env.get(name), name).toMatch(new RegExp(`^"\\$\\{${name}:\\?set ${name} in \\.env [^}]+\\}"$`));
    }
  });

  it('publishes PORT on the balancer only (api scales) and health-checks the port the gateway listens on', () => {
    expect(env.get('PORT')).toBe(`\${PORT:-8080}`);
    const services = serviceBlocks();
    expect(services.get('balancer')).toContain(`- "\${PORT:-8080}:\${PORT:-8080}"`);
    expect(services.get('api')).not.toMatch(/^ {4}ports:/m);
    expect(services.get('api')).toMatch(/^ {4}healthcheck:\n {6}test:[\s\S]*?\/health/m);
    const healthcheck = dockerfile.slice(dockerfile.indexOf('HEALTHCHECK'));
    expect(healthcheck).toContain('process.env.PORT');
    expect(healthcheck).not.toMatch(/127\.0\.0\.1:8080/);
  });

  it('runs api behind a balancer, with PostgreSQL, a Cloudflare Tunnel profile and no Redis', () => {
    const services = serviceBlocks();
    expect([...services.keys()].sort()).toEqual(['api', 'balancer', 'cloudflared', 'postgres']);
    expect(services.get('postgres')).toMatch(/^ {4}healthcheck:/m);
    expect(services.get('cloudflared')).toContain('profiles: ["cloudflared"]');
    expect(services.get('balancer')).toContain('./tools/deploy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro');
    expect(compose).toMatch(/^volumes:\n {2}gateway-data:\n {2}postgres-data:/m);
    const haproxy = read('tools/deploy/haproxy.cfg');
    expect(haproxy).toContain('balance roundrobin');
    expect(haproxy).toContain('option httpchk GET /health');
  });

  const haproxyInstalled = spawnSync('haproxy', ['-v'], { stdio: 'ignore' }).status === 0;
  it.skipIf(!haproxyInstalled)('the balancer configuration is valid haproxy', () => {
    const checked = spawnSync('haproxy', ['-c', '-f', join(root, 'tools/deploy/haproxy.cfg')], {
      env: { ...process.env, PORT: '8080' },
      encoding: 'utf8',
    });
    expect(checked.stderr + checked.stdout).toMatch(/Configuration file is valid/);
    expect(checked.status).toBe(0);
  });

  const dockerCompose = spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0;
  it.skipIf(!dockerCompose)('docker-compose config without .env fails naming the missing variable', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ng-compose-'));
    try {
      copyFileSync(join(root, 'docker-compose.yml'), join(dir, 'docker-compose.yml'));
      const clean = Object.fromEntries(
        Object.entries(process.env).filter(([k]) => !ENV_VARIABLES.includes(k) && k !== 'POSTGRES_PASSWORD'),
      );
      const without = spawnSync('docker-compose', ['config', '-q'], { cwd: dir, env: clean, encoding: 'utf8' });
      expect(without.status).not.toBe(0);
      expect(without.stderr).toMatch(/ACTION_API_TOKEN|TOKEN_ENCRYPTION_KEYS/);
      expect(without.stderr).toContain('in .env');
      const key = `k1:${Buffer.alloc(32, 1).toString('base64')}`;
      execFileSync('docker-compose', ['config', '-q'], {
        cwd: dir,
        env: { ...clean, ACTION_API_TOKEN: 'a'.repeat(32), TOKEN_ENCRYPTION_KEYS: key },
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Dockerfile', () => {
  /** Sources of the COPY instructions after `npm ci` (what the image holds besides node_modules). */
  const copied = [...dockerfile.matchAll(/^COPY (.+)$/gm)].flatMap((m) => {
    const args = m[1]!.split(/\s+/).filter((a) => !a.startsWith('--'));
    return args.slice(0, -1).map((a) => normalize(a));
  });
  const shipped = (file: string) => copied.some((c) => file === c || file.startsWith(`${c}/`));

  /** Every file a module imports, transitively (relative imports), and the packages it needs. */
  function closure(entries: string[]): { files: Set<string>; packages: Set<string> } {
    const files = new Set<string>();
    const packages = new Set<string>();
    const queue = [...entries];
    while (queue.length > 0) {
      const file = queue.pop()!;
      if (files.has(file)) continue;
      files.add(file);
      const source = read(file);
      for (const m of source.matchAll(
        /(?:^|\n)\s*(?:import|export)(?!\s+type\b)[^'"]*?from\s+'([^']+)'|import\('([^']+)'\)/g,
      )) {
        const spec = (m[1] ?? m[2])!;
        if (spec.startsWith('.')) {
          queue.push(relative(root, join(root, dirname(file), spec)));
        } else if (!spec.startsWith('node:') && !builtinModules.includes(spec)) {
          packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
        }
      }
    }
    return { files, packages };
  }

  const entries = ['start', 'migrate', 'rotate-keys', 'oauth:client'].map((script) => {
    const m = /^(?:[A-Z_]+=\S+ )*node (?:--\S+ )*(\S+\.ts)/.exec(pkg.scripts[script]!);
    expect(m, script).not.toBeNull();
    return m![1]!;
  });

  it('ships the files npm start, npm run migrate, rotate-keys and oauth:client run', () => {
    const { files } = closure(entries);
    const missing = [...files].filter((f) => !shipped(f) && !f.startsWith('generated/'));
    expect(missing).toEqual([]);
    for (const entry of entries) expect(existsSync(join(root, entry)), entry).toBe(true);
    expect(shipped('generated/openapi.json')).toBe(true);
    expect(shipped('package.json')).toBe(true);
  });

  it('runs the server as npm start does, from a compile cache filled with the same Node flags', () => {
    const startFlags = /node ((?:--\S+ )*)src\/main\.ts/.exec(pkg.scripts.start!)![1]!.trim().split(' ');
    const cmd = JSON.parse(/^CMD (.+)$/m.exec(dockerfile)![1]!) as string[];
    expect(cmd).toEqual(['node', ...startFlags, 'src/main.ts']);
    expect(dockerfile).toMatch(/^ENV NODE_COMPILE_CACHE=\S+$/m);
    expect(dockerfile).toContain(`RUN node ${startFlags.join(' ')} src/main.ts --check`);
  });

  it('needs no devDependency to run them (the image installs with --omit=dev)', () => {
    expect(dockerfile).toContain('npm ci --omit=dev');
    const { packages } = closure(entries);
    // Installed by `npm ci --omit=dev`: a dependency, or a package the lockfile does not mark dev-only.
    const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { dev?: boolean }> };
    const devOnly = [...packages].filter((p) => {
      const installed = lock.packages[`node_modules/${p}`];
      return !(p in pkg.dependencies) && (!installed || installed.dev === true);
    });
    expect(devOnly).toEqual([]);
  });
});
