/**
 * The server `instructions` a client receives at initialize: how the tools it is actually given fit together. Built
 * from the listed tools of one view (a toolset choice, read-only mode), so a sentence never names a tool the client
 * cannot call. The shared arguments (connection_id, idempotency_key, dry_run, create_options) are described here once, with the spec's own
 * words, instead of in every tool's schema.
 */
import type { Tool } from '@modelcontextprotocol/sdk/types.js';

interface Sentence {
  /** The tools the sentence is about; it is said when at least one is listed, naming only the listed ones. */
  tools: readonly string[];
  /** The sentence, given those of its tools that are listed. */
  say: (listed: readonly string[]) => string;
}

const GUIDE: readonly Sentence[] = [
  {
    tools: ['notion_search'],
    say: () => 'Find pages and data sources by title with notion_search (a data source comes with its schema).',
  },
  {
    tools: ['search', 'fetch'],
    say: (t) =>
      `${t.join(' and ')} ${t.length > 1 ? 'serve' : 'serves'} deep research (search finds ids, fetch reads one).`,
  },
  {
    tools: ['notion_query'],
    say: () =>
      'List rows with notion_query (a friendly filter such as {"Status": "Done", "Project": "Alpha"}: relations by title or id).',
  },
  {
    tools: ['notion_upsert'],
    say: () => 'Create or update a row with notion_upsert: keyed on a unique property, repeating it never duplicates.',
  },
  { tools: ['notion_link'], say: () => 'Relate two pages with notion_link (pages by id, URL or exact title).' },
  { tools: ['notion_bulk'], say: () => 'Several writes in one call: notion_bulk.' },
  {
    tools: ['notion_job_start', 'notion_job_get', 'notion_job_list', 'notion_job_cancel'],
    say: (t) =>
      `Work too long for one call (over 100 writes, exports, plans, migrations) runs as a job: ${t.join(', ')}.`,
  },
  {
    tools: ['notion_page_create', 'notion_page_get', 'notion_page_update', 'notion_blocks_get', 'notion_blocks_append'],
    say: (t) => `Pages and their bodies (Markdown or blocks): ${t.join(', ')}.`,
  },
  {
    tools: ['notion_file_upload'],
    say: () => 'Files (from a URL or base64) onto a page, a files property, an icon or a cover: notion_file_upload.',
  },
  {
    tools: ['notion_data_source_get', 'notion_data_source_update', 'notion_database_create'],
    say: (t) => `Schemas (properties, options, relations): ${t.join(', ')}.`,
  },
  {
    tools: ['notion_read', 'notion_request'],
    say: (t) =>
      `Anything else, in Notion's own JSON: ${t.map((n) => (n === 'notion_read' ? 'notion_read for reads' : 'notion_request for writes')).join(', ')}.`,
  },
  { tools: ['audit_list'], say: () => 'audit_list shows every write: who asked, what it touched, how it ended.' },
  {
    tools: ['notion_undo'],
    say: () => 'notion_undo reverts a request, an audit entry or a job (dry_run first shows what it would restore).',
  },
];

/** Whether a listed tool takes this shared argument as the shared one (listed without a description of its own). */
const argumentOf = (tools: readonly Tool[], name: string) =>
  tools.some((t) => {
    const property = (t.inputSchema.properties as Record<string, { description?: string }> | undefined)?.[name];
    return property !== undefined && property.description === undefined;
  });

/**
 * `listed`: what tools/list answers for this view. `shared`: the spec's descriptions of the shared arguments (from
 * the full input schemas the server validates against).
 */
export function instructionsFor(listed: readonly Tool[], shared: Readonly<Record<string, string>>): string {
  const names = new Set(listed.map((t) => t.name));
  const parts = [
    'Manage a Notion workspace (Notion API 2025-09-03: a database holds data sources; rows live in a data source, ' +
      'addressed by data_source_id).',
  ];
  for (const sentence of GUIDE) {
    const present = sentence.tools.filter((t) => names.has(t));
    if (present.length > 0) parts.push(sentence.say(present));
  }
  if (argumentOf(listed, 'idempotency_key') && shared.idempotency_key) {
    const said = shared.idempotency_key;
    parts.push(`Writes take idempotency_key, a ${said.charAt(0).toLowerCase()}${said.slice(1)}`);
  }
  for (const name of ['dry_run', 'create_options']) {
    if (argumentOf(listed, name) && shared[name]) parts.push(`${name} (where a tool takes it): ${shared[name]}`);
  }
  if (argumentOf(listed, 'connection_id')) {
    parts.push(
      names.has('connections_list')
        ? 'When several connections exist, call connections_list and pass connection_id.'
        : `connection_id: ${shared.connection_id ?? 'which Notion connection to use.'} When it is needed and missing, the error lists the connections.`,
    );
  }
  return parts.join(' ');
}
