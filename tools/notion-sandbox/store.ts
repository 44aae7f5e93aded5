// In-memory state. Everything a workspace owns lives in plain JSON-able records so the whole
// store can be snapshotted to a file and loaded back (options.snapshotFile).
import { readFileSync, writeFileSync } from 'node:fs';
import type {
  PageCoverResponse,
  PageIconResponse,
  RichTextItemResponse,
  ViewConfigResponse,
  ViewFilterResponse,
  ViewSortResponse,
  ViewType,
} from './sdk.ts';
import { newId, normalizeId, tick } from './util.ts';

export type Json = unknown;

export interface UserRec {
  id: string;
  type: 'person' | 'bot';
  name: string;
  email?: string;
  avatar_url: string | null;
}

/** Where a page/database/block lives. `id` is the page/block/data-source id; workspace has none. */
export type ParentRef =
  | { type: 'workspace' }
  | { type: 'page_id'; id: string }
  | { type: 'block_id'; id: string }
  | { type: 'data_source_id'; id: string }
  | { type: 'database_id'; id: string };

export interface PageRec {
  id: string;
  parent: ParentRef;
  /** property id → stored value (response shape of the writable part, e.g. `[richText…]` for title). */
  props: Record<string, Json>;
  icon: PageIconResponse | null;
  cover: PageCoverResponse | null;
  in_trash: boolean;
  is_locked: boolean;
  created_time: string;
  last_edited_time: string;
  created_by: string;
  last_edited_by: string;
  /** A data source template: listed by GET /v1/data_sources/:id/templates, never by queries or search. */
  is_template?: boolean;
}

export interface BlockRec {
  id: string;
  type: string;
  /** The type-specific payload in response shape (without `children`). */
  content: Record<string, Json>;
  parent: ParentRef;
  in_trash: boolean;
  created_time: string;
  last_edited_time: string;
  created_by: string;
  last_edited_by: string;
}

export interface PropertySchema {
  id: string;
  name: string;
  type: string;
  description: string | null;
  /** Type-specific configuration in response shape, e.g. `{options:[…]}` for select. */
  config: Record<string, Json>;
}

export interface DataSourceRec {
  id: string;
  database_id: string;
  title: RichTextItemResponse[];
  description: RichTextItemResponse[];
  icon: PageIconResponse | null;
  /** Ordered by creation; keyed lookups go through properties.ts helpers. */
  properties: PropertySchema[];
  in_trash: boolean;
  created_time: string;
  last_edited_time: string;
  created_by: string;
  last_edited_by: string;
  /** Next number per unique_id property id. */
  counters: Record<string, number>;
  /** Template page ids in order; `default_template` is one of them (Notion allows one default). */
  templates?: string[];
  default_template?: string | null;
}

export interface DatabaseRec {
  id: string;
  parent: ParentRef;
  title: RichTextItemResponse[];
  description: RichTextItemResponse[];
  icon: PageIconResponse | null;
  cover: PageCoverResponse | null;
  is_inline: boolean;
  is_locked: boolean;
  in_trash: boolean;
  data_source_ids: string[];
  created_time: string;
  last_edited_time: string;
  created_by: string;
  last_edited_by: string;
}

export interface CommentRec {
  id: string;
  discussion_id: string;
  parent: { type: 'page_id' | 'block_id'; id: string };
  rich_text: RichTextItemResponse[];
  created_time: string;
  last_edited_time: string;
  created_by: string;
}

export interface ViewRec {
  id: string;
  database_id: string;
  data_source_id: string;
  name: string;
  type: ViewType;
  filter: ViewFilterResponse | null;
  sorts: ViewSortResponse[] | null;
  configuration: ViewConfigResponse | null;
  created_time: string;
  last_edited_time: string;
  created_by: string;
  last_edited_by: string;
}

export interface ViewQueryRec {
  id: string;
  view_id: string;
  /** Page ids matched when the query was created (Notion snapshots results). */
  page_ids: string[];
  created_time: string;
  expires_at: string;
}

export interface Content {
  pages: Record<string, PageRec>;
  blocks: Record<string, BlockRec>;
  /** container (page or block) id → ordered child block ids; child pages appear as child_page blocks. */
  children: Record<string, string[]>;
  databases: Record<string, DatabaseRec>;
  dataSources: Record<string, DataSourceRec>;
  comments: Record<string, CommentRec>;
  views: Record<string, ViewRec>;
  viewQueries: Record<string, ViewQueryRec>;
  /** Absent in snapshots written before file uploads existed. */
  fileUploads?: Record<string, FileUploadRec>;
}

export interface FileUploadRec {
  id: string;
  created_time: string;
  last_edited_time: string;
  /** The bot that created it. */
  created_by: string;
  /** An hour after creation; null once attached (the file is then permanent). */
  expiry_time: string;
  mode: 'single_part' | 'multi_part' | 'external_url';
  status: 'pending' | 'uploaded' | 'expired' | 'failed';
  filename: string | null;
  content_type: string | null;
  content_length: number | null;
  number_of_parts: number | null;
  /** Part numbers received so far (multi_part). */
  parts: number[];
  external_url: string | null;
  import_result: Record<string, unknown> | null;
  attached: boolean;
}

export interface Workspace {
  id: string;
  name: string;
  icon: string | null;
  /** The bot user behind the workspace's static token(s). */
  botId: string;
  /** People of the workspace plus every bot (static and OAuth-issued). */
  users: UserRec[];
  content: Content;
}

export interface TokenRec {
  workspaceId: string;
  botId: string;
  kind: 'static' | 'oauth';
  clientId?: string;
  iat: number;
  /** Short opaque handle used in the request log instead of the token itself. */
  handle: string;
}

export interface OAuthGrant {
  workspaceId: string;
  clientId: string;
  redirectUri: string | undefined;
  used: boolean;
}

export function emptyContent(): Content {
  return {
    pages: {},
    blocks: {},
    children: {},
    databases: {},
    dataSources: {},
    comments: {},
    views: {},
    viewQueries: {},
  };
}

export interface StoreState {
  workspaces: Record<string, Workspace>;
  tokens: Record<string, TokenRec>;
  /** refresh token → access token it belongs to. */
  refreshTokens: Record<string, string>;
  codes: Record<string, OAuthGrant>;
  /** `${clientId}:${workspaceId}` → bot id, so a re-authorisation keeps the same bot like Notion. */
  oauthBots: Record<string, string>;
}

let handleSeq = 0;

export class Store {
  state: StoreState;
  snapshotFile: string | undefined;
  /** Who may create workspace-level pages (Sandbox.setWorkspacePages). */
  workspacePages: 'all' | 'public' = 'all';
  /** Uploaded file bytes by upload id (and `id#part` while a multi-part upload is open): memory only, never snapshotted. */
  fileBytes = new Map<string, Buffer>();
  /** How far the clock of file-upload expiry runs ahead of real time (Sandbox.advanceClock). */
  clockOffsetMs = 0;
  /** The workspace limit every bot user reports (max_file_upload_size_in_bytes); 5 GiB as on paid plans. */
  maxFileUploadBytes = 5 * 1024 * 1024 * 1024;
  /** The sandbox's origin, for the url of an uploaded file. */
  origin = '';

  constructor(snapshotFile?: string) {
    this.snapshotFile = snapshotFile;
    this.state = { workspaces: {}, tokens: {}, refreshTokens: {}, codes: {}, oauthBots: {} };
  }

  /** Loads the snapshot file if it exists; returns true when state was restored. */
  load(): boolean {
    if (!this.snapshotFile) return false;
    try {
      this.state = JSON.parse(readFileSync(this.snapshotFile, 'utf8')) as StoreState;
      return true;
    } catch {
      return false;
    }
  }

  save(): void {
    if (this.snapshotFile) writeFileSync(this.snapshotFile, JSON.stringify(this.state));
  }

  addWorkspace(opts: { token: string; id?: string; name?: string }): Workspace {
    // A known token without an explicit id keeps its workspace (matters when restoring a snapshot).
    const known = this.state.tokens[opts.token]?.workspaceId;
    const id = (opts.id && normalizeId(opts.id)) || opts.id || known || newId();
    let ws = this.state.workspaces[id];
    if (!ws) {
      const botId = newId();
      const name = opts.name ?? `Sandbox workspace ${Object.keys(this.state.workspaces).length + 1}`;
      ws = {
        id,
        name,
        icon: null,
        botId,
        users: [
          { id: botId, type: 'bot', name: 'Sandbox Integration', avatar_url: null },
          { id: newId(), type: 'person', name: 'Ada Lovelace', email: 'ada@example.com', avatar_url: null },
          { id: newId(), type: 'person', name: 'Grace Hopper', email: 'grace@example.com', avatar_url: null },
        ],
        content: emptyContent(),
      };
      this.state.workspaces[id] = ws;
    }
    this.addToken(opts.token, { workspaceId: id, botId: ws.botId, kind: 'static' });
    return ws;
  }

  addToken(token: string, rec: Omit<TokenRec, 'iat' | 'handle'>): TokenRec {
    const full: TokenRec = { ...rec, iat: Math.floor(Date.now() / 1000), handle: `conn_${++handleSeq}` };
    this.state.tokens[token] = full;
    return full;
  }

  workspaceForToken(token: string): { ws: Workspace; tok: TokenRec } | null {
    const tok = this.state.tokens[token];
    if (!tok) return null;
    const ws = this.state.workspaces[tok.workspaceId];
    return ws ? { ws, tok } : null;
  }

  /** Wipes every workspace's content; workspaces, users and tokens survive. */
  reset(): void {
    for (const ws of Object.values(this.state.workspaces)) ws.content = emptyContent();
  }

  firstPerson(ws: Workspace): UserRec {
    return ws.users.find((u) => u.type === 'person')!;
  }
}

export const created = (userId: string) => {
  const t = tick();
  return { created_time: t, last_edited_time: t, created_by: userId, last_edited_by: userId };
};
