// File uploads (Notion's File Upload API): create (single_part, multi_part, external_url), send (multipart/form-data,
// one part at a time), complete (multi_part), retrieve, list; and attaching an uploaded file to a files property, a
// media block, or a page's icon or cover (`{type:"file_upload", file_upload:{id}}`).
// Notion's rules kept here: a single-part upload is at most 20 MB; multi-part parts are 5–20 MB except the last, 1 to
// 1,000 of them; no file exceeds the workspace's max_file_upload_size_in_bytes; an upload not attached within an hour
// of its creation expires. The bytes live in memory only (the snapshot keeps the metadata), served at the file's url.
// Sandbox deviations: an external_url import may also use http (tests serve files from loopback), and the clock of
// expiry can be moved forward (Sandbox.advanceClock).
import { createHash } from 'node:crypto';
import { notFound, validation } from './errors.ts';
import type { Ctx, Route } from './router.ts';
import type { FileUploadRec, Store, Workspace } from './store.ts';
import { describe, isObject, newId, normalizeId, paginate } from './util.ts';

const MB = 1024 * 1024;
export const SINGLE_PART_MAX_BYTES = 20 * MB;
const PART_MIN_BYTES = 5 * MB;
const PART_MAX_BYTES = 20 * MB;
const MAX_PARTS = 1000;
const EXPIRY_MS = 60 * 60 * 1000;
const IMPORT_MAX_BYTES = 25 * MB;

type Status = FileUploadRec['status'];

const uploadsOf = (ws: Workspace): Record<string, FileUploadRec> => {
  ws.content.fileUploads ??= {};
  return ws.content.fileUploads;
};

const now = (store: Store): number => Date.now() + store.clockOffsetMs;

/**
 * The store a workspace lives in, bound on every request: attaching happens deep in property and block validation,
 * which sees the workspace only, and needs the store's clock, bytes and origin.
 */
const storeOfWorkspace = new WeakMap<Workspace, Store>();
export const bindWorkspaceStore = (ws: Workspace, store: Store): void => {
  storeOfWorkspace.set(ws, store);
};

/** An upload that is not attached expires an hour after its creation (checked whenever it is looked at). */
function refresh(store: Store, rec: FileUploadRec): FileUploadRec {
  if (!rec.attached && rec.expiry_time && (rec.status === 'pending' || rec.status === 'uploaded')) {
    if (now(store) > Date.parse(rec.expiry_time)) {
      rec.status = 'expired';
      store.fileBytes.delete(rec.id);
    }
  }
  return rec;
}

function uploadJson(ctx: Pick<Ctx, 'origin'>, rec: FileUploadRec): Record<string, unknown> {
  const base = `${ctx.origin}/v1/file_uploads/${rec.id}`;
  return {
    object: 'file_upload',
    id: rec.id,
    created_time: rec.created_time,
    created_by: { id: rec.created_by, type: 'bot' },
    last_edited_time: rec.last_edited_time,
    in_trash: false,
    archived: false,
    expiry_time: rec.attached ? null : rec.expiry_time,
    status: rec.status,
    filename: rec.filename,
    content_type: rec.content_type,
    content_length: rec.content_length,
    ...(rec.status === 'pending' && rec.mode !== 'external_url' ? { upload_url: `${base}/send` } : {}),
    ...(rec.status === 'pending' && rec.mode === 'multi_part' ? { complete_url: `${base}/complete` } : {}),
    ...(rec.import_result ? { file_import_result: rec.import_result } : {}),
    ...(rec.number_of_parts ? { number_of_parts: { total: rec.number_of_parts, sent: rec.parts.length } } : {}),
  };
}

function findUpload(ctx: Ctx, raw: unknown): FileUploadRec {
  const id = normalizeId(raw);
  const rec = id ? uploadsOf(ctx.ws)[id] : undefined;
  if (!rec) throw notFound(String(raw), 'file upload');
  return refresh(ctx.store, rec);
}

const maxFileBytes = (store: Store): number => store.maxFileUploadBytes;

function tooLarge(store: Store, bytes: number): Error {
  return validation(
    `The file is ${bytes} bytes; this workspace accepts files of up to ${maxFileBytes(store)} bytes (max_file_upload_size_in_bytes).`,
  );
}

function stringField(body: Record<string, unknown>, key: string): string | undefined {
  const v = body[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !v.trim())
    throw validation(`body.${key} should be a non-empty string, instead was ${describe(v)}.`);
  return v;
}

function create(ctx: Ctx) {
  const body = ctx.body;
  const mode = (body.mode ?? 'single_part') as string;
  if (!['single_part', 'multi_part', 'external_url'].includes(mode))
    throw validation(
      `body.mode should be \`single_part\`, \`multi_part\` or \`external_url\`, instead was ${describe(mode)}.`,
    );
  const filename = stringField(body, 'filename');
  const contentType = stringField(body, 'content_type');
  let parts: number | null = null;
  if (mode === 'multi_part') {
    if (!filename)
      throw validation('body.filename should be defined for a multi_part upload, instead was `undefined`.');
    const n = body.number_of_parts;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_PARTS)
      throw validation(`body.number_of_parts should be an integer from 1 to ${MAX_PARTS}, instead was ${describe(n)}.`);
    parts = n;
  } else if (body.number_of_parts !== undefined) {
    throw validation('body.number_of_parts is only for a multi_part upload.');
  }
  let externalUrl: string | null = null;
  if (mode === 'external_url') {
    const url = stringField(body, 'external_url');
    if (!url)
      throw validation('body.external_url should be defined for an external_url upload, instead was `undefined`.');
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw validation(`body.external_url should be a valid URL, instead was ${describe(url)}.`);
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
      throw validation(`body.external_url should be an https URL, instead was ${describe(url)}.`);
    if (!filename)
      throw validation('body.filename should be defined for an external_url upload, instead was `undefined`.');
    externalUrl = url;
  } else if (body.external_url !== undefined) {
    throw validation('body.external_url is only for an external_url upload.');
  }
  const at = new Date(now(ctx.store)).toISOString();
  const rec: FileUploadRec = {
    id: newId(),
    created_time: at,
    last_edited_time: at,
    created_by: ctx.tok.botId,
    expiry_time: new Date(now(ctx.store) + EXPIRY_MS).toISOString(),
    mode: mode as FileUploadRec['mode'],
    status: 'pending',
    filename: filename ?? null,
    content_type: contentType ?? null,
    content_length: null,
    number_of_parts: parts,
    parts: [],
    external_url: externalUrl,
    import_result: null,
    attached: false,
  };
  uploadsOf(ctx.ws)[rec.id] = rec;
  if (externalUrl) void importFrom(ctx.store, rec, externalUrl);
  return uploadJson(ctx, rec);
}

/** Notion fetches an external_url upload in the background: pending until the file arrived, then uploaded or failed. */
async function importFrom(store: Store, rec: FileUploadRec, url: string): Promise<void> {
  const fail = (message: string) => {
    rec.status = 'failed';
    rec.import_result = {
      imported_time: new Date(now(store)).toISOString(),
      type: 'error',
      error: { type: 'download_error', code: 'file_import_failed', message, parameter: null, status_code: null },
    };
  };
  try {
    const response = await fetch(url, { redirect: 'follow', signal: AbortSignal.timeout(10_000) });
    if (!response.ok) return fail(`The URL answered HTTP ${response.status}.`);
    const bytes = Buffer.from(await response.arrayBuffer());
    if (bytes.length > Math.min(IMPORT_MAX_BYTES, maxFileBytes(store)))
      return fail(tooLarge(store, bytes.length).message);
    store.fileBytes.set(rec.id, bytes);
    rec.content_length = bytes.length;
    rec.content_type ??= response.headers.get('content-type')?.split(';')[0] ?? 'application/octet-stream';
    rec.status = 'uploaded';
    rec.import_result = { imported_time: new Date(now(store)).toISOString(), type: 'success', success: {} };
  } catch (error) {
    fail(`The file could not be downloaded: ${(error as Error).message}.`);
  } finally {
    rec.last_edited_time = new Date(now(store)).toISOString();
    store.save();
  }
}

async function send(ctx: Ctx) {
  const rec = findUpload(ctx, ctx.params.file_upload_id);
  if (rec.mode === 'external_url') throw validation('An external_url upload is imported by Notion; it takes no send.');
  if (rec.status !== 'pending')
    throw validation(`File upload ${rec.id} has status \`${rec.status}\`; only a \`pending\` upload accepts data.`);
  const type = String(ctx.headers['content-type'] ?? '');
  if (!type.startsWith('multipart/form-data'))
    throw validation('The request should be multipart/form-data with a `file` field.');
  let form: FormData;
  try {
    form = await new Request('http://sandbox.invalid/', {
      method: 'POST',
      headers: { 'content-type': type },
      body: ctx.rawBody,
    }).formData();
  } catch {
    throw validation('The multipart/form-data body could not be parsed.');
  }
  const file = form.get('file');
  if (!(file instanceof Blob)) throw validation('body.file should be a file, instead was `undefined`.');
  const bytes = Buffer.from(await file.arrayBuffer());
  const sentName = file instanceof File && file.name && file.name !== 'blob' ? file.name : undefined;
  if (rec.mode === 'single_part') {
    if (bytes.length > SINGLE_PART_MAX_BYTES)
      throw validation(
        `The file is ${bytes.length} bytes; a single_part upload takes up to ${SINGLE_PART_MAX_BYTES} bytes (use multi_part).`,
      );
    if (bytes.length > maxFileBytes(ctx.store)) throw tooLarge(ctx.store, bytes.length);
    ctx.store.fileBytes.set(rec.id, bytes);
    rec.content_length = bytes.length;
    rec.status = 'uploaded';
  } else {
    const partNumber = Number(form.get('part_number'));
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > (rec.number_of_parts ?? 0))
      throw validation(
        `body.part_number should be an integer from 1 to ${rec.number_of_parts}, instead was ${describe(form.get('part_number'))}.`,
      );
    if (bytes.length > PART_MAX_BYTES)
      throw validation(`Part ${partNumber} is ${bytes.length} bytes; a part takes up to ${PART_MAX_BYTES}.`);
    const key = `${rec.id}#${partNumber}`;
    ctx.store.fileBytes.set(key, bytes);
    if (!rec.parts.includes(partNumber)) rec.parts.push(partNumber);
  }
  rec.filename ??= sentName ?? 'file';
  rec.content_type ??= file.type || 'application/octet-stream';
  rec.last_edited_time = new Date(now(ctx.store)).toISOString();
  return uploadJson(ctx, rec);
}

function complete(ctx: Ctx) {
  const rec = findUpload(ctx, ctx.params.file_upload_id);
  if (rec.mode !== 'multi_part') throw validation('Only a multi_part upload is completed.');
  if (rec.status !== 'pending')
    throw validation(`File upload ${rec.id} has status \`${rec.status}\`; only a \`pending\` upload can be completed.`);
  const total = rec.number_of_parts ?? 0;
  const chunks: Buffer[] = [];
  for (let n = 1; n <= total; n++) {
    const part = ctx.store.fileBytes.get(`${rec.id}#${n}`);
    if (!part) throw validation(`Part ${n} of ${total} has not been sent.`);
    if (n < total && part.length < PART_MIN_BYTES)
      throw validation(`Part ${n} is ${part.length} bytes; every part but the last takes at least ${PART_MIN_BYTES}.`);
    chunks.push(part);
  }
  const bytes = Buffer.concat(chunks);
  if (bytes.length > maxFileBytes(ctx.store)) throw tooLarge(ctx.store, bytes.length);
  for (let n = 1; n <= total; n++) ctx.store.fileBytes.delete(`${rec.id}#${n}`);
  ctx.store.fileBytes.set(rec.id, bytes);
  rec.content_length = bytes.length;
  rec.status = 'uploaded';
  rec.last_edited_time = new Date(now(ctx.store)).toISOString();
  return uploadJson(ctx, rec);
}

function list(ctx: Ctx) {
  const status = ctx.query.get('status');
  if (status !== null && !['pending', 'uploaded', 'expired', 'failed'].includes(status))
    throw validation(`status should be one of pending, uploaded, expired, failed, instead was ${describe(status)}.`);
  const all = Object.values(uploadsOf(ctx.ws))
    .map((rec) => refresh(ctx.store, rec))
    .filter((rec) => status === null || rec.status === (status as Status))
    .sort((a, b) => b.created_time.localeCompare(a.created_time));
  return {
    object: 'list',
    type: 'file_upload',
    file_upload: {},
    ...paginate(
      all.map((rec) => uploadJson(ctx, rec)),
      (item) => item.id as string,
      ctx.query.get('start_cursor') ?? undefined,
      ctx.query.get('page_size') ?? undefined,
    ),
  };
}

/**
 * `{type:"file_upload", file_upload:{id}}` in a files property, a media block, an icon or a cover: the upload must be
 * `uploaded` (not pending, expired or failed). Attaching makes the file permanent. Answers the stored file object.
 */
export function attachFileUpload(
  ws: Workspace,
  raw: unknown,
  path: string,
): { type: 'file'; file: { url: string; expiry_time: string }; name: string } {
  const store = storeOfWorkspace.get(ws);
  if (!store) throw new Error('attachFileUpload: the workspace is not bound to its store.');
  const ref = isObject(raw) && isObject(raw.file_upload) ? raw.file_upload.id : undefined;
  const id = normalizeId(ref);
  const rec = id ? uploadsOf(ws)[id] : undefined;
  if (!rec) throw validation(`${path}.file_upload.id: could not find file upload ${describe(ref)}.`);
  refresh(store, rec);
  if (rec.status !== 'uploaded')
    throw validation(
      `${path}.file_upload.id: file upload ${rec.id} has status \`${rec.status}\`; only an \`uploaded\` file can be attached.`,
    );
  rec.attached = true;
  const name = rec.filename ?? 'file';
  return {
    type: 'file',
    file: {
      url: `${store.origin}/__sandbox/files/${rec.id}/${encodeURIComponent(name)}`,
      expiry_time: new Date(now(store) + EXPIRY_MS).toISOString(),
    },
    name,
  };
}

/** The bytes behind an attached file's url (what Notion's signed S3 URL would serve), with their digest. */
export function fileBytes(store: Store, id: string): { bytes: Buffer; sha256: string } | null {
  const bytes = store.fileBytes.get(id);
  return bytes ? { bytes, sha256: createHash('sha256').update(bytes).digest('hex') } : null;
}

export const fileUploadRoutes: Route[] = [
  { method: 'POST', template: '/v1/file_uploads', handler: create },
  { method: 'GET', template: '/v1/file_uploads', handler: list },
  {
    method: 'GET',
    template: '/v1/file_uploads/:file_upload_id',
    handler: (ctx) => uploadJson(ctx, findUpload(ctx, ctx.params.file_upload_id)),
  },
  { method: 'POST', template: '/v1/file_uploads/:file_upload_id/send', body: 'form', handler: send },
  { method: 'POST', template: '/v1/file_uploads/:file_upload_id/complete', handler: complete },
];
