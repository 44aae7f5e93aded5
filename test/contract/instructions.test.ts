/**
 * The server instructions are prose about the tools, kept beside the MCP adapter; the tools come from the contract.
 * This keeps the two from drifting: with every tool listed, the instructions introduce each one by name, and they
 * name no tool the contract does not have (a renamed, removed or added tool fails here, not silently).
 */
import { readFileSync } from 'node:fs';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { instructionsFor } from '../../src/mcp/instructions.ts';

const { tools } = JSON.parse(readFileSync(new URL('../../generated/mcp-tools.json', import.meta.url), 'utf8')) as {
  tools: Tool[];
};
const names = tools.map((t) => t.name);
const text = instructionsFor(tools, {});

describe('server instructions, with every tool listed', () => {
  it('introduce every MCP tool of the contract by name', () => {
    expect(names.filter((name) => !new RegExp(`\\b${name}\\b`).test(text))).toEqual([]);
  });

  it('name no tool the contract does not have', () => {
    const named = [...new Set(text.match(/\b(?:notion|connections|audit)_[a-z_]+\b/g) ?? [])];
    expect(named.filter((name) => !names.includes(name))).toEqual([]);
  });
});
