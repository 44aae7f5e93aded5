import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, ENV_VARIABLES, loadConfig } from '../../src/config/env.ts';

describe('loadConfig', () => {
  it('applies defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 8080,
      mcpAuth: 'bearer',
      notionBaseUrl: 'https://api.notion.com',
      actionApiToken: null,
      notionToken: null,
      publicBaseUrl: null,
    });
  });

  it('coerces numbers and booleans and trims a trailing slash from PUBLIC_BASE_URL', () => {
    const config = loadConfig({ PORT: '9000', TRUST_PROXY: 'true', PUBLIC_BASE_URL: 'https://gw.example.com/' });
    expect(config).toMatchObject({ port: 9000, trustProxy: true, publicBaseUrl: 'https://gw.example.com' });
  });

  it('lists every problem at once and never echoes a value', () => {
    try {
      loadConfig({ PORT: 'eighty', MCP_AUTH: 'maybe', ACTION_API_TOKEN: 'short-secret' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const { problems, message } = error as ConfigError;
      expect(problems).toHaveLength(3);
      expect(message).toContain('PORT');
      expect(message).toContain('MCP_AUTH');
      expect(message).toContain('ACTION_API_TOKEN');
      expect(message).not.toContain('short-secret');
    }
  });
});

describe('documentation of the environment', () => {
  const root = new URL('../../', import.meta.url);
  it('.env.example lists exactly the variables the gateway reads, and the defaults load', () => {
    const example = readFileSync(new URL('.env.example', root), 'utf8');
    const entries = [...example.matchAll(/^([A-Z_]+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!] as const);
    expect(entries.map(([k]) => k).sort()).toEqual([...ENV_VARIABLES].sort());
    expect(() => loadConfig(Object.fromEntries(entries))).not.toThrow();
  });

  it('README documents every variable', () => {
    const readme = readFileSync(new URL('README.md', root), 'utf8');
    for (const name of ENV_VARIABLES) expect(readme, name).toContain(`\`${name}\``);
  });
});
