/**
 * `npm run bench:rows`: what the friendly row operations cost, against the Notion sandbox (no rate limit) and the
 * gateway on embedded PGlite, both in this process.
 *   - Notion calls per upsert: new keys, changed values, unchanged values, and the same upserts repeated;
 *   - the size of a 100-row, 10-property query: compact rows (notion_query) against Notion's raw JSON (notion_read).
 * Flags: --rows N (default 100), --json.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createGateway } from '../../src/app.ts';
import { loadConfig } from '../../src/config/env.ts';
import { createLogger } from '../../src/shared/logging.ts';
import { startSandbox } from '../notion-sandbox/index.ts';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '100' }, json: { type: 'boolean' } } });
const rows = Number(values.rows);
const ACTIONS_LIMIT = 100_000;

const sandbox = await startSandbox();
const dataDir = mkdtempSync(join(tmpdir(), 'ng-bench-rows-'));
const token = 'bench-rows-token-0123456789';
const config = loadConfig({
  ACTION_API_TOKEN: token,
  DATA_DIR: dataDir,
  PGLITE_DATA_DIR: 'memory://',
  TOKEN_ENCRYPTION_KEYS: `bench:${Buffer.alloc(32, 5).toString('base64')}`,
  NOTION_TOKEN: sandbox.token,
  NOTION_BASE_URL: sandbox.url,
  NOTION_RATE_LIMIT_PER_MINUTE: '1000000',
  NOTION_RATE_BURST: '1000',
  // Large enough to measure Notion's raw answer; the comparison is against ChatGPT Actions' 100,000 characters.
  MAX_RESPONSE_CHARS: '10000000',
  LOG_LEVEL: 'warn',
});
const gateway = await createGateway(config, createLogger(config.logLevel));
const { url } = await gateway.listen(0, '127.0.0.1');

// biome-ignore lint/suspicious/noExplicitAny: a benchmark reads the gateway's JSON answers loosely
async function post(path: string, body: unknown): Promise<{ text: string; json: any }> {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  const json = JSON.parse(text);
  if (!json.ok) throw new Error(`${path}: ${text.slice(0, 300)}`);
  return { text, json };
}

try {
  const root = await post('/v1/notion/request', {
    method: 'POST',
    path: '/v1/pages',
    body: {
      parent: { type: 'workspace', workspace: true },
      properties: { title: { title: [{ text: { content: 'Bench' } }] } },
    },
  });
  const db = await post('/v1/databases', {
    parent_page_id: root.json.result.response.id,
    title: 'Bench rows',
    properties: {
      Name: { type: 'title' },
      Notes: { type: 'rich_text' },
      Points: { type: 'number' },
      Stage: { type: 'select', options: ['Idea', 'Doing', 'Done'] },
      Tags: { type: 'multi_select', options: ['a', 'b', 'c'] },
      Due: { type: 'date' },
      Done: { type: 'checkbox' },
      Link: { type: 'url' },
      Owner: { type: 'email' },
      Phone: { type: 'phone_number' },
    },
  });
  const dataSourceId = db.json.result.data_source_id as string;
  const row = (i: number, points: number) => ({
    data_source_id: dataSourceId,
    unique: { property: 'Name', value: `Row ${i}` },
    properties: {
      Notes: `Notes for row ${i}: ${'lorem ipsum '.repeat(3)}`,
      Points: points,
      Stage: ['Idea', 'Doing', 'Done'][i % 3],
      Tags: ['a', 'b', 'c'].slice(0, (i % 3) + 1),
      Due: `2026-0${(i % 9) + 1}-1${i % 10}`,
      Done: i % 2 === 0,
      Link: `https://example.com/${i}`,
      Owner: `owner${i}@example.com`,
      Phone: `+1 555 010${i % 10}`,
    },
  });

  const callsPerUpsert = async (label: string, points: number) => {
    sandbox.clearRequestLog();
    const actions = new Map<string, number>();
    for (let i = 0; i < rows; i++) {
      const { json } = await post('/v1/upsert', row(i, points));
      actions.set(json.result.action, (actions.get(json.result.action) ?? 0) + 1);
    }
    return { label, calls_per_upsert: sandbox.requestLog().length / rows, actions: Object.fromEntries(actions) };
  };
  const upserts = [
    await callsPerUpsert('new', 1),
    await callsPerUpsert('changed', 2),
    await callsPerUpsert('unchanged', 2),
    await callsPerUpsert('repeated', 2),
  ];

  const compact = await post('/v1/query', { data_source_id: dataSourceId, page_size: 100 });
  const raw = await post('/v1/notion/read', {
    method: 'POST',
    path: `/v1/data_sources/${dataSourceId}/query`,
    body: { page_size: 100 },
  });
  const sizes = {
    rows: compact.json.result.rows.length,
    compact_chars: compact.text.length,
    raw_chars: raw.text.length,
    ratio: compact.text.length / raw.text.length,
    compact_fits_actions_limit: compact.text.length < ACTIONS_LIMIT,
  };

  console.log(`friendly rows, ${rows} rows of 10 properties (REST, PGlite, sandbox)`);
  for (const u of upserts) {
    console.log(
      `  upsert ${u.label.padEnd(9)} ${u.calls_per_upsert.toFixed(2)} Notion calls each   ${JSON.stringify(u.actions)}`,
    );
  }
  console.log(
    `  query of ${sizes.rows} rows: compact ${sizes.compact_chars} chars, raw ${sizes.raw_chars} chars, compact/raw ${sizes.ratio.toFixed(3)}; compact under the Actions limit: ${sizes.compact_fits_actions_limit}`,
  );
  if (values.json) console.log(JSON.stringify({ rows, upserts, sizes }));
} finally {
  await gateway.close();
  await sandbox.close();
  rmSync(dataDir, { recursive: true, force: true });
}
