/**
 * Issue 19 point 1: notion_file_upload over REST and MCP against the sandbox's File Upload API — an inline small file
 * onto a page as an image block, a URL Notion imports into a files property, icon and cover, a multi-part upload,
 * expiry, oversize, bad input refused before anything is uploaded, a dry run that uploads nothing, and the proxy's
 * upload routes.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js';
import { Client } from '@notionhq/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../support/stack.ts';
import { operationCaller, type Surface } from '../support/surfaces.ts';

const MB = 1024 * 1024;
let stack: Stack;
let mcp: McpClient;
let notion: Client;
let files: Server;
let filesUrl: string;
let pageId: string;
let taskId: string;

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const bytesOf = (n: number) => Buffer.from(Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) % 256));
const PNG = bytesOf(2048);
const PDF = bytesOf(4096);

beforeAll(async () => {
  // Multi-part needs an inline file over one part: the smallest part Notion takes (5 MiB) and a 10 MiB body limit.
  stack = await startStack({
    toolsets: 'all',
    env: { MAX_BODY_BYTES: String(10 * MB), FILE_UPLOAD_PART_BYTES: String(5 * MB) },
  });
  mcp = stack.mcp!;
  notion = new Client({ auth: stack.sandbox.token, baseUrl: stack.sandbox.url, notionVersion: '2025-09-03' });
  files = createServer((req, res) => {
    if (req.url !== '/specs/brief.pdf') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/pdf', 'content-length': PDF.length }).end(PDF);
  });
  await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
  filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
  await notion.dataSources.update({
    data_source_id: stack.demo.tasks.dataSourceId,
    properties: { Attachments: { files: {} } },
  });
}, 60_000);

afterAll(async () => {
  await stack?.close();
  await new Promise((resolve) => files?.close(resolve));
});

beforeEach(async () => {
  stack.sandbox.setMaxFileUploadBytes(5 * 1024 * MB);
  const page = await notion.pages.create({
    parent: { page_id: stack.demo.rootPageId },
    properties: { title: { title: [{ text: { content: 'Design notes' } }] } },
  });
  pageId = page.id;
  taskId = stack.demo.tasks.pageIds[0]!;
  stack.sandbox.clearRequestLog();
});

const run = (surface: Surface, args: Record<string, unknown>) =>
  operationCaller(stack.gateway.url, mcp)(surface, 'notion_file_upload', args);

const writes = () =>
  stack.sandbox.requestLog().filter((e) => e.method !== 'GET' && !e.path.includes('/query') && e.path !== '/v1/search');

describe.each<Surface>(['rest', 'mcp'])('notion_file_upload over %s', (surface) => {
  it('uploads a small inline image and appends it to the page as an image block', async () => {
    const answer = await run(surface, {
      data_base64: PNG.toString('base64'),
      filename: 'diagram.png',
      page_id: pageId,
    });
    expect(answer.error).toBeNull();
    expect(answer.result.file_upload).toMatchObject({
      status: 'uploaded',
      filename: 'diagram.png',
      content_type: 'image/png',
      content_length: PNG.length,
    });
    expect(answer.result.attached).toMatchObject({ page_id: pageId, attach: 'block', block_id: expect.any(String) });
    const block = (await notion.blocks.retrieve({ block_id: answer.result.attached.block_id })) as any;
    expect(block.type).toBe('image');
    expect(block.image.type).toBe('file');
    const served = Buffer.from(await (await fetch(block.image.file.url)).arrayBuffer());
    expect(sha(served)).toBe(sha(PNG));
  });

  it('has Notion import a URL into a files property, after the files it holds', async () => {
    await notion.pages.update({
      page_id: taskId,
      properties: { Attachments: { files: [{ name: 'spec', external: { url: 'https://example.com/spec' } }] } },
    });
    const answer = await run(surface, {
      url: `${filesUrl}/specs/brief.pdf`,
      page_id: taskId,
      attach: 'property',
      property: 'Attachments',
    });
    expect(answer.error).toBeNull();
    expect(answer.result.file_upload).toMatchObject({
      status: 'uploaded',
      filename: 'brief.pdf',
      content_length: PDF.length,
    });
    const page = (await notion.pages.retrieve({ page_id: taskId })) as any;
    const held = page.properties.Attachments.files;
    expect(held.map((f: { name: string }) => f.name)).toEqual(['spec', 'brief.pdf']);
    expect(held[1].type).toBe('file');
    // Notion fetched the bytes: the gateway only asked it to.
    const create = stack.sandbox.requestLog().find((e) => e.method === 'POST' && e.path === '/v1/file_uploads');
    expect(create).toBeTruthy();
    expect(stack.sandbox.requestLog().some((e) => e.path.endsWith('/send'))).toBe(false);
  });

  it('sets the icon and the cover from uploads', async () => {
    for (const attach of ['icon', 'cover']) {
      const answer = await run(surface, {
        data_base64: `data:image/png;base64,${PNG.toString('base64')}`,
        filename: `${attach}.png`,
        page_id: pageId,
        attach,
      });
      expect(answer.error).toBeNull();
    }
    const page = (await notion.pages.retrieve({ page_id: pageId })) as any;
    expect(page.icon.type).toBe('file');
    expect(page.cover.type).toBe('file');
  });

  it('refuses bad input before uploading anything, naming the field', async () => {
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ data_base64: 'not base64!', filename: 'x.png', page_id: pageId }, 'validation_failed', 'data_base64'],
      [{ data_base64: PNG.toString('base64'), page_id: pageId }, 'validation_failed', 'filename'],
      [{ url: 'ftp://example.com/x.pdf', page_id: pageId }, 'validation_failed', 'url'],
      [{ page_id: pageId }, 'validation_failed', 'url'],
      [
        {
          data_base64: PNG.toString('base64'),
          filename: 'x.png',
          page_id: taskId,
          attach: 'property',
          property: 'Name',
        },
        'invalid_property',
        'property',
      ],
    ];
    for (const [args, code, field] of cases) {
      const answer = await run(surface, args);
      expect(answer.error, JSON.stringify(args)).toMatchObject({ code });
      expect(JSON.stringify(answer.error.details)).toContain(field);
    }
    expect(writes()).toEqual([]);
  });

  it('a dry run checks the page and says what it would send, uploading nothing', async () => {
    const answer = await run(surface, {
      data_base64: PNG.toString('base64'),
      filename: 'diagram.png',
      page_id: taskId,
      attach: 'property',
      property: 'Attachments',
      replace: true,
      dry_run: true,
    });
    expect(answer.error).toBeNull();
    expect(answer.result.dry_run).toBe(true);
    expect(answer.result.would_send.map((w: { method: string; path: string }) => `${w.method} ${w.path}`)).toEqual([
      'POST /v1/file_uploads',
      `PATCH /v1/pages/${taskId}`,
    ]);
    expect(writes()).toEqual([]);
  });
});

describe('large, late and oversize files', () => {
  it('sends an inline file over one part in parts, then completes it', async () => {
    const big = bytesOf(7 * MB);
    const answer = await run('mcp', { data_base64: big.toString('base64'), filename: 'scan.pdf', page_id: pageId });
    expect(answer.error).toBeNull();
    expect(answer.result.file_upload).toMatchObject({ status: 'uploaded', content_length: big.length });
    const log = writes().map((e) => `${e.method} ${e.path.replace(/[0-9a-f-]{36}/g, '{id}')}`);
    expect(log).toEqual([
      'POST /v1/file_uploads',
      'POST /v1/file_uploads/{id}/send',
      'POST /v1/file_uploads/{id}/send',
      'POST /v1/file_uploads/{id}/complete',
      'PATCH /v1/blocks/{id}/children',
    ]);
    expect(stack.sandbox.uploadedFile(answer.result.file_upload.id)?.sha256).toBe(sha(big));
  });

  it('an upload made without a page expires after an hour: attaching it later says so', async () => {
    const answer = await run('rest', { data_base64: PNG.toString('base64'), filename: 'later.png' });
    expect(answer.result.file_upload.status).toBe('uploaded');
    expect(answer.result.attached).toBeUndefined();
    stack.sandbox.advanceClock(61 * 60 * 1000);
    const attach = await operationCaller(stack.gateway.url, mcp)('rest', 'notion_request', {
      method: 'PATCH',
      path: `/v1/pages/${pageId}`,
      body: { icon: { type: 'file_upload', file_upload: { id: answer.result.file_upload.id } } },
    });
    expect(attach.error).toMatchObject({ code: 'notion_error' });
    expect(attach.error.message).toContain('expired');
  });

  it('a file over the workspace limit is refused with Notion’s reason; a body over MAX_BODY_BYTES with 413', async () => {
    stack.sandbox.setMaxFileUploadBytes(1000);
    const answer = await run('rest', { data_base64: PNG.toString('base64'), filename: 'big.png', page_id: pageId });
    expect(answer.error).toMatchObject({ code: 'notion_error' });
    expect(answer.error.message).toContain('max_file_upload_size_in_bytes');
    const huge = await run('rest', { data_base64: 'A'.repeat(11 * MB), filename: 'huge.png' });
    expect(huge.status).toBe(413);
    expect(huge.error).toMatchObject({ code: 'payload_too_large' });
  });
});

describe('POST /v1/assets/url (seed §4.7)', () => {
  it('stores a file from a URL on a page, as notion_file_upload with a url does', async () => {
    const res = await stack.call('POST', '/v1/assets/url', { url: `${filesUrl}/specs/brief.pdf`, page_id: pageId });
    expect(res.status).toBe(200);
    expect(res.json.result).toMatchObject({
      file_upload: { status: 'uploaded', filename: 'brief.pdf' },
      attached: { page_id: pageId, attach: 'block' },
    });
    const block = (await notion.blocks.retrieve({ block_id: res.json.result.attached.block_id })) as any;
    expect(block.type).toBe('pdf');
    const missing = await stack.call('POST', '/v1/assets/url', { page_id: pageId });
    expect(missing.status).toBe(400);
    expect(missing.json.error).toMatchObject({ code: 'validation_failed' });
    expect(JSON.stringify(missing.json.error)).toContain('url');
  });
});

describe('the proxy and uploads', () => {
  it('creates an external_url upload through notion_request, and points the bytes route at notion_file_upload', async () => {
    const created = await operationCaller(stack.gateway.url, mcp)('mcp', 'notion_request', {
      method: 'POST',
      path: '/v1/file_uploads',
      body: { mode: 'external_url', external_url: `${filesUrl}/specs/brief.pdf`, filename: 'brief.pdf' },
    });
    expect(created.error).toBeNull();
    expect(created.result.response).toMatchObject({ object: 'file_upload', status: 'pending' });
    const send = await operationCaller(stack.gateway.url, mcp)('mcp', 'notion_request', {
      method: 'POST',
      path: `/v1/file_uploads/${created.result.response.id}/send`,
      body: {},
    });
    expect(send.error).toMatchObject({ code: 'path_not_allowed', details: { use: 'notion_file_upload' } });
  });
});
