/**
 * `npm run bench:search`: body search on a seeded corpus. Seeds N pages (default 500) in the Notion sandbox whose
 * words are only in their bodies (titles are `Note <n>`), builds the connection's index with a `search_index` job,
 * then asks Q queries (default 50), each a word found in the bodies of a known set of pages, of our index
 * (notion_search mode content, 100 hits) and of Notion's own search in the sandbox (title search, 100 hits). Prints
 * recall of both, the index size (pg_total_relation_size of its tables), query p50 (REST round trip, and the index
 * query alone), the build's Notion calls, and the Notion calls of a sweep over the unchanged corpus and after 3 edits.
 * Flags: --pages N, --queries Q, --json.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from '@notionhq/client';
import { createGateway } from '../../src/app.ts';
import { loadConfig } from '../../src/config/env.ts';
import { createLogger } from '../../src/shared/logging.ts';
import { startSandbox } from '../notion-sandbox/index.ts';

const { values } = parseArgs({
  options: {
    pages: { type: 'string', default: '500' },
    queries: { type: 'string', default: '50' },
    json: { type: 'boolean' },
  },
});
const PAGES = Number(values.pages);
const QUERIES = Number(values.queries);

/** Made-up words (no stop word, no English stem collision): syllables picked by a fixed sequence. */
const SYLLABLES = ['ka', 'lo', 'mi', 'ru', 'ze', 'tav', 'qui', 'bor', 'nex', 'fal', 'dro', 'pim'];
const word = (n: number) => {
  let out = '';
  for (let i = 0, x = n + 7; i < 3; i++, x = Math.floor(x / SYLLABLES.length)) out += SYLLABLES[x % SYLLABLES.length];
  return `${out}x`;
};
/** Topic t's word appears in the bodies of the pages i with i % QUERIES === t or (i * 7) % QUERIES === t. */
const topicsOf = (i: number) => [...new Set([i % QUERIES, (i * 7 + 3) % QUERIES])];
const filler = (i: number) => Array.from({ length: 60 }, (_, k) => word(QUERIES + ((i * 31 + k * 17) % 400))).join(' ');

const sandbox = await startSandbox();
const notion = new Client({ auth: sandbox.token, baseUrl: sandbox.url });
const dataDir = mkdtempSync(join(tmpdir(), 'ng-bench-search-'));
const token = 'bench-search-token-0123456789';
const config = loadConfig({
  ACTION_API_TOKEN: token,
  DATA_DIR: dataDir,
  PGLITE_DATA_DIR: 'memory://',
  TOKEN_ENCRYPTION_KEYS: `bench:${Buffer.alloc(32, 9).toString('base64')}`,
  NOTION_TOKEN: sandbox.token,
  NOTION_BASE_URL: sandbox.url,
  NOTION_RATE_LIMIT_PER_MINUTE: '1000000',
  NOTION_RATE_BURST: '1000',
  SEARCH_INDEX_INTERVAL_S: '0',
  LOG_LEVEL: 'warn',
});
const gateway = await createGateway(config, createLogger(config.logLevel));
const { url } = await gateway.listen(0, '127.0.0.1');
const request = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  // The bench reads a few known fields of each answer.
  // biome-ignore lint/suspicious/noExplicitAny: untyped JSON of the gateway's envelope
  return (await res.json()) as { ok: boolean; result: any };
};

async function sweep(): Promise<{ report: Record<string, number>; calls: number; searches: number }> {
  sandbox.clearRequestLog();
  const job = (await request('POST', '/v1/jobs', { kind: 'search_index', args: {} })).result;
  for (;;) {
    const now = (await request('GET', `/v1/jobs/${job.job_id}`)).result;
    if (now.status === 'succeeded') {
      const log = sandbox.requestLog();
      return {
        report: now.output.items[0],
        calls: log.length,
        searches: log.filter((e) => e.path === '/v1/search').length,
      };
    }
    if (now.status !== 'queued' && now.status !== 'running') throw new Error(`sweep ${now.status}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (n: number, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits;

try {
  const root = await notion.pages.create({
    parent: { type: 'workspace', workspace: true },
    properties: { title: { title: [{ type: 'text', text: { content: 'Corpus' } }] } },
  });
  const relevant = new Map<number, Set<string>>();
  for (let i = 0; i < PAGES; i++) {
    const topics = topicsOf(i);
    const page = await notion.pages.create({
      parent: { type: 'page_id', page_id: root.id },
      properties: { title: { title: [{ type: 'text', text: { content: `Note ${i}` } }] } },
      children: [
        { paragraph: { rich_text: [{ type: 'text', text: { content: filler(i) } }] } },
        {
          paragraph: {
            rich_text: [{ type: 'text', text: { content: `We discussed ${topics.map(word).join(' and ')}.` } }],
          },
        },
      ],
    });
    for (const t of topics) relevant.set(t, (relevant.get(t) ?? new Set()).add(page.id));
  }

  const build = await sweep();
  const idle = await sweep();
  const recall = { ours: [] as number[], notion: [] as number[] };
  const restMs: number[] = [];
  const indexMs: number[] = [];
  const connectionId = (await request('GET', '/v1/connections')).result.connections[0].connection_id;
  const index = gateway.engine.services.searchIndex;
  for (let t = 0; t < QUERIES; t++) {
    const expected = relevant.get(t) ?? new Set<string>();
    const started = performance.now();
    const ours = (await request('POST', '/v1/search', { query: word(t), mode: 'content', page_size: 100 })).result;
    restMs.push(performance.now() - started);
    const atIndex = performance.now();
    await index.search(connectionId, word(t), 100);
    indexMs.push(performance.now() - atIndex);
    const theirs = await notion.search({ query: word(t), page_size: 100 });
    const hit = (ids: string[]) => ids.filter((id) => expected.has(id)).length / Math.max(1, expected.size);
    recall.ours.push(hit(ours.results.map((r: { id: string }) => r.id)));
    recall.notion.push(hit(theirs.results.map((r) => r.id)));
  }
  // Three edits: the next sweep reads those three bodies only.
  const pages = (await notion.search({ query: 'Note 1', page_size: 3 })).results;
  for (const p of pages) {
    await notion.blocks.children.append({
      block_id: p.id,
      children: [{ paragraph: { rich_text: [{ type: 'text', text: { content: 'edited' } }] } }],
    });
  }
  const edited = await sweep();
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const result = {
    pages: PAGES,
    queries: QUERIES,
    recall_ours: round(mean(recall.ours)),
    recall_notion: round(mean(recall.notion)),
    index_bytes: await index.sizeBytes(),
    query_p50_ms_rest: round(p50(restMs), 1),
    query_p50_ms_index: round(p50(indexMs), 1),
    build_calls: build.calls,
    build_calls_per_page: round(build.calls / PAGES),
    idle_sweep_calls: idle.calls,
    idle_sweep_calls_per_100_pages: round((idle.calls / PAGES) * 100),
    edited_sweep: { edits: pages.length, calls: edited.calls, indexed: edited.report.indexed },
  };
  console.log(`body search over ${PAGES} seeded pages (words only in bodies), ${QUERIES} one-word queries`);
  console.log(`  recall: ours ${result.recall_ours}, Notion's search ${result.recall_notion}`);
  console.log(`  index size: ${round(result.index_bytes / 1024 / 1024, 2)} MiB (${result.index_bytes} bytes)`);
  console.log(`  query p50: ${result.query_p50_ms_rest} ms over REST, ${result.query_p50_ms_index} ms the index query`);
  console.log(
    `  build: ${build.calls} Notion calls (${result.build_calls_per_page} a page; ${build.searches} listing)`,
  );
  console.log(
    `  sweep over the unchanged corpus: ${idle.calls} Notion call(s) (${result.idle_sweep_calls_per_100_pages} per 100 pages)`,
  );
  console.log(`  sweep after ${pages.length} edits: ${edited.calls} Notion calls, ${edited.report.indexed} pages read`);
  if (values.json) console.log(JSON.stringify(result));
} finally {
  await gateway.close();
  await sandbox.close();
  rmSync(dataDir, { recursive: true, force: true });
}
