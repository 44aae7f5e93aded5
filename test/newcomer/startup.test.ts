/**
 * `npm start` as a newcomer meets it: every configuration problem at once in one wording (never a value), and a start
 * log that says where the token and keys are, whether a Notion connection exists, and a command that adds one — which
 * is run here, as printed, against the Notion sandbox.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/env.ts';
import { formatLogLine } from '../../src/shared/log-format.ts';
import { checkConfiguration } from '../../src/startup.ts';
import { DEFAULT_TOKEN, type Sandbox, startSandbox } from '../../tools/notion-sandbox/index.ts';

const run = promisify(execFile);
const MAIN = new URL('../../src/main.ts', import.meta.url).pathname;
/** Values that must never appear in a message. */
const SECRETS = {
  ACTION_API_TOKEN: 'short-secret',
  TOKEN_ENCRYPTION_KEYS: `k1:${Buffer.from('hunter2-key').toString('base64')}`,
  DATABASE_URL: 'mysql://admin:hunter2pw@db.internal/prod',
  OAUTH_RETURN_ORIGINS: 'https://chatgpt.com,ftp://hunter2.example',
  MCP_AUTH: 'maybe-hunter2',
  PORT: 'eighty-hunter2',
};

function problemsOf(env: Record<string, string>): string[] {
  try {
    checkConfiguration(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  return expect.unreachable('the configuration was accepted');
}

describe('configuration problems', () => {
  it('are reported all at once, each naming its variable, enums with their allowed values, never a value', () => {
    let message = '';
    try {
      checkConfiguration(SECRETS);
    } catch (error) {
      message = (error as ConfigError).message;
    }
    expect(message.split('\n')[0]).toBe('Invalid configuration (see .env.example):');
    const problems = message.split('\n').slice(1);
    // Schema (PORT, MCP_AUTH, ACTION_API_TOKEN length, DATABASE_URL), key syntax, return origins: one line each.
    expect(problems).toHaveLength(6);
    for (const line of problems) expect(line).toMatch(/^- [A-Z_]+ /);
    expect(message).toContain('MCP_AUTH must be one of: bearer, none');
    expect(message).toContain('PORT must be a whole number');
    expect(message).toContain('TOKEN_ENCRYPTION_KEYS entry #1');
    expect(message).toContain('OAUTH_RETURN_ORIGINS entry #2');
    for (const value of Object.values(SECRETS)) expect(message).not.toContain(value);
    expect(message).not.toContain('hunter2');
  });

  it('OAUTH=on needs PUBLIC_BASE_URL (the issuer), and all three NOTION_OAUTH_* or none; OAUTH takes on or off', () => {
    expect(problemsOf({ OAUTH: 'on' })).toEqual(['PUBLIC_BASE_URL is required with OAUTH=on (it is the issuer)']);
    // Operator sign-in only (Developer Mode with an internal token): no Notion public integration needed.
    expect(checkConfiguration({ OAUTH: 'on', PUBLIC_BASE_URL: 'https://gw.example/' }).oauthServer).toEqual({
      issuer: 'https://gw.example',
      accessTokenTtlSeconds: 3600,
    });
    expect(problemsOf({ OAUTH: 'on', PUBLIC_BASE_URL: 'https://gw.example/', NOTION_OAUTH_CLIENT_ID: 'id' })).toEqual([
      'NOTION_OAUTH_CLIENT_SECRET is required with the other NOTION_OAUTH_* (Notion sign-in)',
      'NOTION_OAUTH_REDIRECT_URI is required with the other NOTION_OAUTH_* (Notion sign-in)',
    ]);
    expect(problemsOf({ OPERATOR_PASSWORD: 'short' })).toEqual([
      expect.stringMatching(/^OPERATOR_PASSWORD must be at least 12 characters/),
    ]);
    expect(problemsOf({ OAUTH: 'yes' })).toEqual([expect.stringMatching(/^OAUTH must be one of: off, on/)]);
    const on = checkConfiguration({
      OAUTH: 'on',
      PUBLIC_BASE_URL: 'https://gw.example/',
      NOTION_OAUTH_CLIENT_ID: 'id',
      NOTION_OAUTH_CLIENT_SECRET: 'secret',
      NOTION_OAUTH_REDIRECT_URI: 'https://gw.example/oauth/callback',
    });
    expect(on.oauthServer).toEqual({ issuer: 'https://gw.example', accessTokenTtlSeconds: 3600 });
    expect(checkConfiguration({}).oauthServer).toBeNull();
  });

  it('include the rules between variables: DATABASE_URL needs the API token and a key; one key variable only', () => {
    expect(problemsOf({ DATABASE_URL: 'postgres://u:p@h/db' })).toEqual([
      expect.stringMatching(/^ACTION_API_TOKEN must be set when DATABASE_URL is used/),
      expect.stringMatching(/^TOKEN_ENCRYPTION_KEYS \(or TOKEN_ENCRYPTION_KEY\) must be set when DATABASE_URL is used/),
    ]);
    const key = `k1:${Buffer.alloc(32, 1).toString('base64')}`;
    expect(problemsOf({ TOKEN_ENCRYPTION_KEYS: key, TOKEN_ENCRYPTION_KEY: key })).toEqual([
      'set TOKEN_ENCRYPTION_KEYS or TOKEN_ENCRYPTION_KEY, not both',
    ]);
  });

  it('a valid configuration passes, and checking it writes nothing', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ng-check-'));
    try {
      expect(checkConfiguration({ DATA_DIR: dataDir }).dataDir).toBe(dataDir);
      expect(readdirSync(dataDir)).toEqual([]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('npm start prints them on stderr and exits with 2 before opening anything', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ng-bad-'));
    try {
      const result = (() => {
        try {
          execFileSync(process.execPath, [MAIN], {
            env: { PATH: process.env.PATH, DATA_DIR: dataDir, ...SECRETS },
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          return { status: 0, stderr: '' };
        } catch (error) {
          const e = error as { status: number; stderr: Buffer };
          return { status: e.status, stderr: e.stderr.toString() };
        }
      })();
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(/^Invalid configuration \(see \.env\.example\):\n- /);
      expect(result.stderr).toContain('MCP_AUTH must be one of: bearer, none');
      expect(result.stderr).not.toContain('hunter2');
      expect(readdirSync(dataDir)).toEqual([]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('npm start -- --check', () => {
  it('checks the configuration, opens nothing and fills the compile cache the Docker image is built with', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ng-check-'));
    const cache = mkdtempSync(join(tmpdir(), 'ng-compile-cache-'));
    try {
      const out = execFileSync(process.execPath, [MAIN, '--check'], {
        env: { PATH: process.env.PATH, DATA_DIR: dataDir, NODE_COMPILE_CACHE: cache },
        stdio: ['ignore', 'pipe', 'pipe'],
      }).toString();
      expect(out.trim()).toBe('Configuration OK.');
      expect(readdirSync(dataDir)).toEqual([]);
      // One entry per module loaded: the gateway's sources and its dependencies (hundreds), not a handful.
      const entries = readdirSync(cache, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
      expect(entries.length).toBeGreaterThan(300);
      expect(() =>
        execFileSync(process.execPath, [MAIN, '--check'], {
          env: { PATH: process.env.PATH, DATA_DIR: dataDir, MCP_AUTH: 'maybe' },
          stdio: 'pipe',
        }),
      ).toThrow(/MCP_AUTH must be one of: bearer, none/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(cache, { recursive: true, force: true });
    }
  });
});

describe('the start log', () => {
  let sandbox: Sandbox;
  let cwd: string;
  let child: ChildProcess | undefined;
  const lines: string[] = [];

  beforeAll(async () => {
    sandbox = await startSandbox();
    cwd = mkdtempSync(join(tmpdir(), 'ng-start-'));
    // As `npm start` runs it in a fresh checkout: nothing configured but where Notion is; stdout is a pipe, not a TTY.
    child = spawn(process.execPath, [MAIN], {
      cwd,
      env: { PATH: process.env.PATH, PORT: '0', HOST: '127.0.0.1', NOTION_BASE_URL: sandbox.url },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let buffer = '';
    await new Promise<void>((resolve, reject) => {
      child!.once('exit', (code) => reject(new Error(`the gateway exited with ${code}`)));
      child!.stdout!.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        const parts = buffer.split('\n');
        buffer = parts.pop()!;
        lines.push(...parts);
        if (parts.some((l) => l.includes('"add_connection"') || l.includes('"notion_connections"'))) resolve();
      });
    });
  });

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await sandbox?.close();
    rmSync(cwd, { recursive: true, force: true });
  });

  const summary = () =>
    JSON.parse(lines.find((l) => l.includes('"notion_connections"'))!) as Record<string, string | number>;

  it('is JSON when stdout is not a terminal, and says where the token and key files are', () => {
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    expect(summary()).toMatchObject({
      api_token: 'data/action-api-token',
      encryption_keys: 'data/token-encryption.key',
      storage: 'PGlite at data/pglite',
      notion_connections: 0,
    });
    expect(summary().msg).toContain('No Notion connection yet');
  });

  it('gives a command that adds a Notion connection, and it works as printed', async () => {
    const { url, add_connection: command } = summary() as { url: string; add_connection: string };
    expect(command).toContain(`${url}/v1/connections`);
    expect(command).toContain('$(cat data/action-api-token)');
    // Asynchronously: the sandbox answering the token check lives in this process.
    const { stdout: output } = await run(
      'bash',
      ['-c', `${command.replace('ntn_…', DEFAULT_TOKEN)} -s -w '\\n%{http_code}'`],
      {
        cwd,
      },
    );
    expect(output.trim().split('\n').at(-1)).toMatch(/^20[01]$/);
    const token = execFileSync('cat', ['data/action-api-token'], { cwd }).toString().trim();
    const list = await fetch(`${url}/v1/connections`, { headers: { authorization: `Bearer ${token}` } });
    const body = (await list.json()) as { result: { connections: unknown[] } };
    expect(body.result.connections).toHaveLength(1);
    // Never a token in the log.
    expect(lines.join('\n')).not.toContain(token);
  });

  it('reads as lines of text on a terminal', () => {
    const text = formatLogLine(lines.find((l) => l.includes('"notion_connections"'))!);
    expect(text).toMatch(/^\d\d:\d\d:\d\d INFO {2}Notion Gateway is listening\. No Notion connection yet/);
    expect(text).toContain('\n    api_token: data/action-api-token\n');
    expect(text).toContain('\n    add_connection: curl -X POST ');
    expect(text).not.toMatch(/^{/m);
  });
});
