/**
 * notion_file_upload: a file into Notion through its File Upload API and onto a page in one call. A URL is imported by
 * Notion itself (`external_url` mode: the bytes never pass through the gateway, so the gateway fetches nothing on a
 * caller's behalf); inline base64 is sent single-part, or in parts when larger than one part. The page and the
 * target (a files property, a media block, the icon or cover) are checked before anything is uploaded, so a bad
 * target leaves no orphan upload.
 */
import type { Client, PageObjectResponse } from '@notionhq/client';
import { GatewayError } from '../../shared/errors.ts';
import { withIdKind } from '../id-kinds.ts';
import { idFromField } from '../notion-objects.ts';
import type { Input, Output } from '../types.ts';
import { connectionOf, type Operation } from './operation.ts';

type UploadInput = Input<'notion_file_upload'>;
type UploadOutput = Output<'notion_file_upload'>;
type Attach = NonNullable<UploadInput['attach']>;
type MediaType = NonNullable<UploadInput['block_type']>;
type FileUpload = Awaited<ReturnType<Client['fileUploads']['create']>>;

/** Notion's single-part ceiling; larger inline files go in parts of FILE_UPLOAD_PART_BYTES. */
const SINGLE_PART_MAX_BYTES = 20 * 1024 * 1024;
/** How long a URL import is waited for before answering `pending` (ChatGPT gives up after ~45 s). */
const IMPORT_WAIT_MS = 20_000;

/** The content types a name's extension says, for the common files a model attaches (Notion checks them again). */
const TYPE_BY_EXTENSION: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  svg: 'image/svg+xml',
  heic: 'image/heic',
  pdf: 'application/pdf',
  txt: 'text/plain',
  md: 'text/markdown',
  csv: 'text/csv',
  json: 'application/json',
  mp3: 'audio/mpeg',
  wav: 'audio/wav',
  m4a: 'audio/mp4',
  mp4: 'video/mp4',
  mov: 'video/quicktime',
  webm: 'video/webm',
  zip: 'application/zip',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

const invalid = (pointer: string, message: string, extra: Record<string, unknown> = {}) =>
  new GatewayError('validation_failed', message, { pointer, field: pointer.slice(1), ...extra });

function contentTypeOf(filename: string, given: string | undefined): string {
  if (given) return given;
  const extension = /\.([A-Za-z0-9]+)$/.exec(filename)?.[1]?.toLowerCase() ?? '';
  return TYPE_BY_EXTENSION[extension] ?? 'application/octet-stream';
}

function blockTypeOf(contentType: string, given: MediaType | undefined): MediaType {
  if (given) return given;
  if (contentType.startsWith('image/')) return 'image';
  if (contentType === 'application/pdf') return 'pdf';
  if (contentType.startsWith('audio/')) return 'audio';
  if (contentType.startsWith('video/')) return 'video';
  return 'file';
}

/** The bytes of `data_base64` (a `data:…;base64,` prefix is accepted and gives the content type). */
function decodeInline(raw: string): { bytes: Buffer; contentType?: string } {
  const dataUrl = /^data:([^;,]+)?(?:;[^,]*)?;base64,/.exec(raw);
  const text = (dataUrl ? raw.slice(dataUrl[0].length) : raw).replace(/\s+/g, '');
  if (!text || text.length % 4 === 1 || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(text)) {
    throw invalid('/data_base64', 'data_base64: not base64. Send the file bytes base64-encoded, e.g. "iVBORw0KGgo…".');
  }
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length === 0) throw invalid('/data_base64', 'data_base64: the file is empty.');
  return { bytes, ...(dataUrl?.[1] ? { contentType: dataUrl[1] } : {}) };
}

function importUrl(raw: string): { url: string; filename: string } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid('/url', `url: not a URL (${JSON.stringify(raw.slice(0, 100))}). Give an https URL of the file.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw invalid('/url', 'url: Notion imports files from https URLs only, e.g. "https://example.com/report.pdf".');
  }
  const last = decodeURIComponent(url.pathname.split('/').filter(Boolean).pop() ?? '');
  return { url: url.href, filename: last || 'file' };
}

interface Target {
  pageId: string;
  attach: Attach;
  page: PageObjectResponse;
  /** attach `property`: the files kept before the new one. */
  keep?: Array<Record<string, unknown>>;
}

/** The page and where on it the file goes, checked before any upload. */
async function resolveTarget(input: UploadInput, client: Client, ctx: Parameters<Operation<'notion_file_upload'>>[1]) {
  const attach: Attach = input.attach ?? 'block';
  if (!input.page_id) {
    if (input.attach || input.property || input.block_type || input.caption) {
      throw invalid('/page_id', 'page_id: say which page the file goes on (id or notion.so URL).');
    }
    return null;
  }
  if (attach !== 'property' && input.property !== undefined) {
    throw invalid('/property', 'property: only with attach "property".');
  }
  const pageId = idFromField(input.page_id, 'page_id', 'a Notion page id or a notion.so page URL');
  const connection = connectionOf(ctx);
  const page = (await withIdKind(connection, pageId, 'page', 'page_id', () =>
    client.pages.retrieve({ page_id: pageId }),
  )) as PageObjectResponse;
  const target: Target = { pageId, attach, page };
  if (attach === 'property') {
    if (!input.property) throw invalid('/property', 'property: name the files property to attach the file to.');
    const value = page.properties[input.property] as
      | { type: string; files?: Array<Record<string, unknown>> }
      | undefined;
    if (!value) {
      const files = Object.entries(page.properties)
        .filter(([, v]) => v.type === 'files')
        .map(([name]) => name);
      throw new GatewayError('invalid_property', `property: the page has no property "${input.property}".`, {
        pointer: '/property',
        property: input.property,
        files_properties: files,
      });
    }
    if (value.type !== 'files') {
      throw new GatewayError(
        'invalid_property',
        `property: "${input.property}" is a ${value.type} property; a file goes in a files property.`,
        { pointer: '/property', property: input.property, type: value.type },
      );
    }
    const current = value.files ?? [];
    const hosted = current.filter((file) => file.type !== 'external');
    if (!input.replace && hosted.length > 0) {
      throw invalid(
        '/replace',
        `"${input.property}" holds ${hosted.length} file(s) stored by Notion, which the API cannot send back: pass replace: true to replace them with this one.`,
        { hosted_files: hosted.map((file) => file.name) },
      );
    }
    target.keep = input.replace
      ? []
      : current.map((file) => ({ name: file.name, external: { url: (file.external as { url: string }).url } }));
  }
  return target;
}

/** Polls a URL import until Notion has the file (or gives up), within IMPORT_WAIT_MS. */
async function awaitImport(client: Client, upload: FileUpload): Promise<FileUpload> {
  let current = upload;
  const deadline = Date.now() + IMPORT_WAIT_MS;
  for (let delay = 250; current.status === 'pending' && Date.now() < deadline; delay = Math.min(delay * 2, 2000)) {
    await new Promise((resolve) => setTimeout(resolve, delay));
    current = await client.fileUploads.retrieve({ file_upload_id: upload.id });
  }
  if (current.status === 'failed') {
    const error = current.file_import_result?.type === 'error' ? current.file_import_result.error : undefined;
    throw new GatewayError(
      'notion_error',
      `Notion could not import the file from the URL: ${error?.message ?? 'failed'}.`,
      {
        pointer: '/url',
        notion_code: error?.code ?? 'file_import_failed',
      },
    );
  }
  return current;
}

async function uploadInline(
  client: Client,
  file: { bytes: Buffer; filename: string; contentType: string },
  partBytes: number,
): Promise<FileUpload> {
  const blob = (from: number, to: number) => new Blob([file.bytes.subarray(from, to)], { type: file.contentType });
  if (file.bytes.length <= Math.min(partBytes, SINGLE_PART_MAX_BYTES)) {
    const upload = await client.fileUploads.create({
      mode: 'single_part',
      filename: file.filename,
      content_type: file.contentType,
    });
    return client.fileUploads.send({
      file_upload_id: upload.id,
      file: { filename: file.filename, data: blob(0, file.bytes.length) },
    });
  }
  const parts = Math.ceil(file.bytes.length / partBytes);
  const upload = await client.fileUploads.create({
    mode: 'multi_part',
    filename: file.filename,
    content_type: file.contentType,
    number_of_parts: parts,
  });
  for (let part = 0; part < parts; part++) {
    await client.fileUploads.send({
      file_upload_id: upload.id,
      part_number: String(part + 1),
      file: { filename: file.filename, data: blob(part * partBytes, (part + 1) * partBytes) },
    });
  }
  return client.fileUploads.complete({ file_upload_id: upload.id });
}

/** The Notion write that puts the uploaded file on the page. */
function attachRequest(target: Target, input: UploadInput, uploadId: string, filename: string, contentType: string) {
  const ref = { type: 'file_upload', file_upload: { id: uploadId } };
  switch (target.attach) {
    case 'property':
      return {
        method: 'PATCH',
        path: `/v1/pages/${target.pageId}`,
        body: { properties: { [input.property!]: { files: [...(target.keep ?? []), { ...ref, name: filename }] } } },
      };
    case 'icon':
    case 'cover':
      return { method: 'PATCH', path: `/v1/pages/${target.pageId}`, body: { [target.attach]: ref } };
    default: {
      const type = blockTypeOf(contentType, input.block_type);
      const caption = input.caption ? { caption: [{ type: 'text', text: { content: input.caption } }] } : {};
      const name = type === 'file' ? { name: filename } : {};
      return {
        method: 'PATCH',
        path: `/v1/blocks/${target.pageId}/children`,
        body: { children: [{ type, [type]: { ...ref, ...caption, ...name } }] },
      };
    }
  }
}

const summary = (upload: FileUpload) => ({
  id: upload.id,
  status: upload.status,
  filename: upload.filename,
  content_type: upload.content_type,
  content_length: upload.content_length,
});

export const notion_file_upload: Operation<'notion_file_upload'> = async (input, ctx, services) => {
  if ((input.url === undefined) === (input.data_base64 === undefined)) {
    throw invalid('/url', 'Give the file as url (an https URL Notion copies) or data_base64 (its bytes), one of them.');
  }
  const client = connectionOf(ctx).notion();
  const inline = input.data_base64 !== undefined ? decodeInline(input.data_base64) : null;
  const remote = input.url !== undefined ? importUrl(input.url) : null;
  if (inline && !input.filename) throw invalid('/filename', 'filename: name the file, e.g. "diagram.png".');
  const filename = input.filename ?? remote!.filename;
  const contentType = contentTypeOf(filename, input.content_type ?? inline?.contentType);
  const target = await resolveTarget(input, client, ctx);
  ctx.audit.summary = `uploaded ${filename}${target ? ` to page ${target.pageId} (${target.attach})` : ''}`;

  if (input.dry_run === true) {
    const create = remote
      ? { mode: 'external_url', external_url: remote.url, filename, content_type: contentType }
      : { mode: 'single_part or multi_part', filename, content_type: contentType, bytes: inline!.bytes.length };
    const attach = target ? attachRequest(target, input, '<new upload id>', filename, contentType) : null;
    return {
      dry_run: true,
      would_send: [{ method: 'POST', path: '/v1/file_uploads', body: create }, ...(attach ? [attach] : [])],
      changes:
        target?.attach === 'property'
          ? {
              [input.property!]: {
                before: (target.keep ?? []).map((file) => file.name),
                after: [...(target.keep ?? []).map((file) => file.name), filename],
              },
            }
          : {},
    } satisfies UploadOutput;
  }

  const uploaded = remote
    ? await awaitImport(
        client,
        await client.fileUploads.create({
          mode: 'external_url',
          external_url: remote.url,
          filename,
          content_type: contentType,
        }),
      )
    : await uploadInline(client, { bytes: inline!.bytes, filename, contentType }, services.limits.fileUploadPartBytes);
  const result: UploadOutput = { file_upload: summary(uploaded) };
  if (!target || uploaded.status !== 'uploaded') return result;

  const request = attachRequest(target, input, uploaded.id, filename, contentType);
  if (target.attach === 'block') {
    const appended = await client.blocks.children.append({
      block_id: target.pageId,
      children: request.body.children as never,
    });
    result.attached = { page_id: target.pageId, attach: 'block', block_id: appended.results[0]?.id };
  } else {
    await client.pages.update({ page_id: target.pageId, ...(request.body as object) } as never);
    result.attached = {
      page_id: target.pageId,
      attach: target.attach,
      ...(target.attach === 'property' ? { property: input.property! } : {}),
    };
  }
  return result;
};

/** Seed §4.7's `POST /v1/assets/url`: the URL case of notion_file_upload, as its own REST route. */
export const assets_url: Operation<'assets_url'> = (input, ctx, services) => notion_file_upload(input, ctx, services);
