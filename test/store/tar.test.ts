/**
 * The data-directory tar (src/store/pglite.ts, on tar-stream): a directory round-trips, and extraction refuses what a
 * tampered archive could use to write outside its directory or fill the disk.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tar from 'tar-stream';
import { afterAll, describe, expect, it } from 'vitest';
import { extractTar, tarDirectory } from '../../src/store/pglite.ts';

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});
const scratch = () => {
  const root = mkdtempSync(path.join(tmpdir(), 'ng-tar-'));
  roots.push(root);
  return root;
};

type Entry = Partial<tar.Header> & { name: string; data?: string };
async function archive(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const { data, ...header } of entries) pack.entry(header, data ?? '');
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}
const once = async function* (bytes: Buffer) {
  yield bytes;
};

describe('data directory tar', () => {
  it('round-trips a directory (sorted, equal bytes for equal trees)', async () => {
    const root = scratch();
    const src = path.join(root, 'src');
    mkdirSync(path.join(src, 'base', '1'), { recursive: true });
    writeFileSync(path.join(src, 'PG_VERSION'), '17\n');
    writeFileSync(path.join(src, 'base', '1', 'big'), Buffer.alloc(300 * 1024, 7)); // streamed, not pooled
    const bytes = await tarDirectory(src);
    expect(await tarDirectory(src)).toEqual(bytes);
    const out = path.join(root, 'out');
    await extractTar(once(bytes), out);
    expect(readdirSync(out).sort()).toEqual(['PG_VERSION', 'base']);
    expect(readFileSync(path.join(out, 'PG_VERSION'), 'utf8')).toBe('17\n');
    expect(readFileSync(path.join(out, 'base', '1', 'big'))).toEqual(Buffer.alloc(300 * 1024, 7));
  });

  const hostile: [string, Entry[], RegExp][] = [
    ['a ".." path', [{ name: '../escaped', data: 'x' }], /refusing "\.\.\/escaped": "\.\." in path/],
    ['a nested ".." path', [{ name: 'base/../../escaped', data: 'x' }], /"\.\." in path/],
    ['an absolute path', [{ name: '/tmp/ng-tar-absolute', data: 'x' }], /absolute path/],
    ['a symlink', [{ name: 'link', type: 'symlink', linkname: '/etc/passwd' }], /entry type symlink/],
    ['a hard link', [{ name: 'link', type: 'link', linkname: '../../etc/passwd' }], /entry type link/],
  ];
  for (const [what, entries, message] of hostile) {
    it(`refuses ${what} and writes nothing outside the target`, async () => {
      const root = scratch();
      const out = path.join(root, 'out');
      await expect(extractTar(once(await archive(entries)), out)).rejects.toThrow(message);
      expect(readdirSync(root)).toEqual(['out']);
      expect(readdirSync(out)).toEqual([]);
      expect(existsSync('/tmp/ng-tar-absolute')).toBe(false);
    });
  }

  it('refuses an entry over the size cap and an archive over the total cap', async () => {
    const limits = { maxEntryBytes: 1024, maxTotalBytes: 1536, maxEntries: 10 };
    const big = await archive([{ name: 'big', data: 'x'.repeat(2048) }]);
    await expect(extractTar(once(big), path.join(scratch(), 'out'), { limits })).rejects.toThrow(/"big": 2048 bytes/);
    const many = await archive([
      { name: 'a', data: 'x'.repeat(1000) },
      { name: 'b', data: 'x'.repeat(1000) },
    ]);
    await expect(extractTar(once(many), path.join(scratch(), 'out'), { limits })).rejects.toThrow(
      /more than 1536 bytes/,
    );
  });
});
