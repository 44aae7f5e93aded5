/**
 * The sandbox's File Upload API, driven through @notionhq/client as the gateway drives it: single-part, multi-part,
 * external-URL import, expiry, size limits, and attaching an upload to a files property, a media block and an icon.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, LogLevel } from '@notionhq/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../tools/notion-sandbox/index.ts';

const MB = 1024 * 1024;
let sb: Sandbox;
let notion: Client;
let files: Server;
let filesUrl: string;

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const bytesOf = (n: number, seed = 7) => Uint8Array.from({ length: n }, (_, i) => (i * seed + 13) % 251);

beforeAll(async () => {
  sb = await startSandbox();
  notion = new Client({ auth: sb.token, baseUrl: sb.url, retry: false, logLevel: LogLevel.ERROR });
  // A file server on loopback for external_url imports (Notion would fetch a public https URL).
  files = createServer((req, res) => {
    if (req.url === '/report.pdf') {
      const body = Buffer.from(bytesOf(3000));
      res.writeHead(200, { 'content-type': 'application/pdf', 'content-length': body.length });
      res.end(body);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
  filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await sb.close();
  await new Promise((resolve) => files.close(resolve));
});
beforeEach(() => {
  sb.reset();
  sb.setMaxFileUploadBytes(5 * 1024 * MB);
});

async function singlePart(name: string, data: Uint8Array, type = 'image/png') {
  const upload = await notion.fileUploads.create({ mode: 'single_part', filename: name, content_type: type });
  expect(upload).toMatchObject({ status: 'pending', filename: name });
  expect(upload.upload_url).toContain(`/v1/file_uploads/${upload.id}/send`);
  return notion.fileUploads.send({ file_upload_id: upload.id, file: { filename: name, data: new Blob([data]) } });
}

describe('file uploads', () => {
  it('single-part: pending → uploaded, then attached to a files property, an image block and the icon', async () => {
    const data = bytesOf(1234);
    const sent = await singlePart('logo.png', data);
    expect(sent).toMatchObject({ status: 'uploaded', content_length: 1234, content_type: 'image/png' });
    expect(sb.uploadedFile(sent.id)?.sha256).toBe(sha(data));

    const page = await notion.pages.create({
      parent: { type: 'workspace', workspace: true },
      properties: { title: { title: [{ text: { content: 'With a file' } }] } },
      icon: { type: 'file_upload', file_upload: { id: sent.id } },
    });
    expect((page as any).icon).toMatchObject({ type: 'file', file: { url: expect.stringContaining(sent.id) } });
    const appended = await notion.blocks.children.append({
      block_id: page.id,
      children: [{ type: 'image', image: { type: 'file_upload', file_upload: { id: sent.id } } }],
    });
    const block = appended.results[0] as any;
    expect(block.image).toMatchObject({ type: 'file', file: { url: expect.any(String) } });
    const served = await fetch(block.image.file.url);
    expect(sha(new Uint8Array(await served.arrayBuffer()))).toBe(sha(data));
    // Attached: permanent, no expiry.
    expect(await notion.fileUploads.retrieve({ file_upload_id: sent.id })).toMatchObject({ expiry_time: null });
  });

  it('multi-part: parts of ≥ 5 MB but the last, then complete', async () => {
    const data = bytesOf(7 * MB);
    const upload = await notion.fileUploads.create({
      mode: 'multi_part',
      filename: 'big.bin',
      content_type: 'application/octet-stream',
      number_of_parts: 2,
    });
    expect(upload.complete_url).toContain('/complete');
    await expect(notion.fileUploads.complete({ file_upload_id: upload.id })).rejects.toMatchObject({
      code: 'validation_error',
      message: expect.stringContaining('Part 1 of 2 has not been sent'),
    });
    await notion.fileUploads.send({
      file_upload_id: upload.id,
      part_number: '1',
      file: { filename: 'big.bin', data: new Blob([data.slice(0, 5 * MB)]) },
    });
    await notion.fileUploads.send({
      file_upload_id: upload.id,
      part_number: '2',
      file: { filename: 'big.bin', data: new Blob([data.slice(5 * MB)]) },
    });
    const done = await notion.fileUploads.complete({ file_upload_id: upload.id });
    expect(done).toMatchObject({ status: 'uploaded', content_length: 7 * MB });
    expect(sb.uploadedFile(upload.id)?.sha256).toBe(sha(data));
  });

  it('a part under 5 MB that is not the last is refused at complete', async () => {
    const upload = await notion.fileUploads.create({ mode: 'multi_part', filename: 'x.bin', number_of_parts: 2 });
    for (const n of ['1', '2']) {
      await notion.fileUploads.send({
        file_upload_id: upload.id,
        part_number: n,
        file: { filename: 'x.bin', data: new Blob([bytesOf(1000)]) },
      });
    }
    await expect(notion.fileUploads.complete({ file_upload_id: upload.id })).rejects.toMatchObject({
      message: expect.stringContaining('at least'),
    });
  });

  it('external_url: Notion fetches the file in the background', async () => {
    const upload = await notion.fileUploads.create({
      mode: 'external_url',
      external_url: `${filesUrl}/report.pdf`,
      filename: 'report.pdf',
    });
    expect(upload.status).toBe('pending');
    let seen = upload;
    for (let i = 0; i < 50 && seen.status === 'pending'; i++) {
      await new Promise((r) => setTimeout(r, 20));
      seen = await notion.fileUploads.retrieve({ file_upload_id: upload.id });
    }
    expect(seen).toMatchObject({ status: 'uploaded', content_length: 3000, content_type: 'application/pdf' });
    expect(seen.file_import_result).toMatchObject({ type: 'success' });

    const missing = await notion.fileUploads.create({
      mode: 'external_url',
      external_url: `${filesUrl}/nope.pdf`,
      filename: 'nope.pdf',
    });
    let failed = missing;
    for (let i = 0; i < 50 && failed.status === 'pending'; i++) {
      await new Promise((r) => setTimeout(r, 20));
      failed = await notion.fileUploads.retrieve({ file_upload_id: missing.id });
    }
    expect(failed).toMatchObject({ status: 'failed', file_import_result: { type: 'error' } });
  });

  it('expires an upload not attached within an hour; an expired upload cannot be sent or attached', async () => {
    const pending = await notion.fileUploads.create({ mode: 'single_part', filename: 'late.txt' });
    const uploaded = await singlePart('soon.png', bytesOf(10));
    sb.advanceClock(61 * 60 * 1000);
    expect(await notion.fileUploads.retrieve({ file_upload_id: pending.id })).toMatchObject({ status: 'expired' });
    await expect(
      notion.fileUploads.send({ file_upload_id: pending.id, file: { data: new Blob([bytesOf(5)]) } }),
    ).rejects.toMatchObject({ code: 'validation_error', message: expect.stringContaining('expired') });
    await expect(
      notion.pages.create({
        parent: { type: 'workspace', workspace: true },
        properties: { title: { title: [{ text: { content: 'x' } }] } },
        cover: { type: 'file_upload', file_upload: { id: uploaded.id } },
      }),
    ).rejects.toMatchObject({ code: 'validation_error', message: expect.stringContaining('expired') });
    const listed = await notion.fileUploads.list({ status: 'expired' });
    expect(listed.results.map((u) => u.id).sort()).toEqual([pending.id, uploaded.id].sort());
  });

  it('refuses a file over the workspace limit, and a single part over 20 MB', async () => {
    sb.setMaxFileUploadBytes(1000);
    const upload = await notion.fileUploads.create({ mode: 'single_part', filename: 'big.png' });
    await expect(
      notion.fileUploads.send({ file_upload_id: upload.id, file: { data: new Blob([bytesOf(1001)]) } }),
    ).rejects.toMatchObject({
      code: 'validation_error',
      message: expect.stringContaining('max_file_upload_size_in_bytes'),
    });
    const me = (await notion.users.me({})) as any;
    expect(me.bot.workspace_limits.max_file_upload_size_in_bytes).toBe(1000);
    sb.setMaxFileUploadBytes(5 * 1024 * MB);
    await expect(
      notion.fileUploads.send({ file_upload_id: upload.id, file: { data: new Blob([new Uint8Array(20 * MB + 1)]) } }),
    ).rejects.toMatchObject({ code: 'validation_error', message: expect.stringContaining('multi_part') });
  });
});
