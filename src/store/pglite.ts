/**
 * Embedded PGlite specifics: the settings a single-user embedded instance starts with, and the committed template
 * (`pglite-template.tar.br`, a cleanly shut down, already migrated cluster) that seeds an empty data directory
 * instead of running initdb + every migration. `npm run store:template` rebuilds it (see `buildPgliteTemplate()` in
 * store.ts); test/store/template.test.ts fails when it no longer matches the migrations or the PGlite version.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, brotliDecompressSync, createBrotliDecompress, constants as zlib } from 'node:zlib';
import tar from 'tar-stream';

/**
 * `-c` options appended to PGlite's own start parameters (`PGlite.defaultStartParams`: single-user, fsync off, no
 * worker processes). Without them PGlite runs with the 128 MB `shared_buffers` initdb writes into postgresql.conf: the
 * WASM heap grows from its fixed 128 MiB minimum to ≈ 190 MiB and the gateway's resident memory by ≈ 100 MiB at start
 * (measured with bench:startup). The buffers PostgreSQL fills stay resident, so their size bounds what the store adds
 * as it runs: 4 MB (512 pages) holds the gateway's small tables and indexes and the catalog pages in use; a page
 * missed is a read from the data directory through the OS cache. 16 MB measured ≈ 9 MiB more after start, 8 MB ≈ 4.
 * Other knobs made no difference in an isolated PGlite process (work_mem, maintenance_work_mem, temp_buffers, wal_buffers,
 * max_connections allocate on use or are tiny) and are left alone.
 */
export const PGLITE_SETTINGS: readonly string[] = ['-c', 'shared_buffers=4MB'];

/** Bumped when the way the template is built changes (initdb options, what is in the cluster). */
const TEMPLATE_FORMAT = 2;

const storeDir = path.dirname(fileURLToPath(import.meta.url));
export const TEMPLATE_FILE = path.join(storeDir, 'pglite-template.tar.br');
export const TEMPLATE_META_FILE = path.join(storeDir, 'pglite-template.json');
const MIGRATIONS_DIR = path.join(storeDir, 'migrations');

export interface TemplateMeta {
  /** What the template was built from: see `templateKey()`. */
  key: string;
  pglite: string;
  migrations: string[];
}

/** The installed `@electric-sql/pglite` version (the one `@mikro-orm/pglite` loads). */
export function pgliteVersion(): string {
  const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite'); // …/@electric-sql/pglite/dist/index.cjs
  const pkg = JSON.parse(readFileSync(path.join(path.dirname(entry), '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/**
 * Identity of a template: the PGlite version (its PostgreSQL build reads the cluster) and the bytes of every file in
 * src/store/migrations (the migrations and their list), so editing, adding or reordering a migration makes the
 * committed template stale. File bytes, not class source text: the key must be the same under Node's type stripping
 * and under vitest.
 */
export function templateKey(version = pgliteVersion()): string {
  const hash = createHash('sha256').update(`format ${TEMPLATE_FORMAT}\npglite ${version}\n`);
  for (const name of readdirSync(MIGRATIONS_DIR).sort()) {
    hash
      .update(`${name}\n`)
      .update(readFileSync(path.join(MIGRATIONS_DIR, name)))
      .update('\n');
  }
  return hash.digest('hex').slice(0, 32);
}

export function readTemplateMeta(): TemplateMeta | null {
  if (!existsSync(TEMPLATE_META_FILE) || !existsSync(TEMPLATE_FILE)) return null;
  return JSON.parse(readFileSync(TEMPLATE_META_FILE, 'utf8')) as TemplateMeta;
}

export type TemplateState = { fresh: true } | { fresh: false; reason: string };

export function templateState(): TemplateState {
  const meta = readTemplateMeta();
  if (!meta) return { fresh: false, reason: `no committed template (${path.basename(TEMPLATE_FILE)})` };
  const version = pgliteVersion();
  if (meta.pglite !== version) {
    return { fresh: false, reason: `template built with PGlite ${meta.pglite}, installed ${version}` };
  }
  if (meta.key !== templateKey(version)) return { fresh: false, reason: 'template older than src/store/migrations' };
  return { fresh: true };
}

/** The committed template as an uncompressed tar (what PGlite's `loadDataDir` takes), or null when stale/absent. */
export function readTemplateTar(): Buffer | null {
  if (!templateState().fresh) return null;
  return brotliDecompressSync(readFileSync(TEMPLATE_FILE));
}

/**
 * The template tar as a Blob for an in-memory store, decompressed once per process: brotli takes ≈ 0.3 s for the
 * 25 MiB, paid again by every store a process opens (tests open dozens). A Blob is immutable, so sharing it is safe;
 * the file's size and mtime key it, so a rebuilt template (`npm run store:template`) is read again.
 */
let templateBlobCache: { stamp: string; blob: Blob } | null = null;
export function templateBlob(): Blob | null {
  if (!templateState().fresh) return null;
  const { size, mtimeMs } = statSync(TEMPLATE_FILE);
  const stamp = `${size}:${mtimeMs}`;
  if (templateBlobCache?.stamp !== stamp) {
    const tar = readTemplateTar();
    if (!tar) return null;
    templateBlobCache = { stamp, blob: new Blob([new Uint8Array(tar)]) };
  }
  return templateBlobCache.blob;
}

/** Writes the template and its metadata (brotli: the three near-identical databases of a cluster share one window). */
export function writeTemplate(tar: Buffer, meta: TemplateMeta): { bytes: number } {
  const compressed = brotliCompressSync(tar, {
    params: {
      [zlib.BROTLI_PARAM_QUALITY]: 11,
      [zlib.BROTLI_PARAM_LGWIN]: 24,
      [zlib.BROTLI_PARAM_SIZE_HINT]: tar.length,
    },
  });
  writeAtomic(TEMPLATE_FILE, compressed);
  writeAtomic(TEMPLATE_META_FILE, Buffer.from(`${JSON.stringify(meta, null, 2)}\n`));
  return { bytes: compressed.length };
}

function writeAtomic(file: string, data: Buffer) {
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o644);
  try {
    writeSync(fd, data);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

const isEmptyDir = (dir: string) => !existsSync(dir) || readdirSync(dir).length === 0;

/**
 * Seeds an empty PGlite data directory from the committed template: extracted beside it, then renamed into place,
 * so a crash half-way leaves the directory empty (seeded again next start), never half a cluster. The caller holds
 * the directory's lock. Returns false (and changes nothing) when the directory is not empty or the template is stale.
 */
export async function seedFromTemplate(dir: string): Promise<{ seeded: true } | { seeded: false; reason: string }> {
  if (!isEmptyDir(dir)) return { seeded: false, reason: 'directory not empty' };
  const state = templateState();
  if (!state.fresh) return { seeded: false, reason: state.reason };
  const staging = `${dir}.seeding`;
  rmSync(staging, { recursive: true, force: true });
  await runExtractor(staging);
  if (existsSync(dir)) rmdirSync(dir);
  renameSync(staging, dir);
  return { seeded: true };
}

/** Extracts the template into `dir` (in this process: see extract-template.ts for why the server does not). */
export async function extractTemplate(dir: string): Promise<void> {
  if (!dir) throw new Error('extractTemplate: no target directory');
  await extractTar(createReadStream(TEMPLATE_FILE).pipe(createBrotliDecompress()), dir);
}

const EXTRACTOR = path.join(storeDir, 'extract-template.ts');

/** Runs extract-template.ts in a child Node (the same binary; NODE_COMPILE_CACHE and the rest of the env inherited). */
function runExtractor(dir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [EXTRACTOR, dir], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-2000);
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`extracting the PGlite template failed (${signal ?? `exit ${code}`}): ${stderr.trim()}`));
    });
  });
}

// --- the data directory as a tar (tar-stream): regular files and directories, which is all a PostgreSQL data
// directory holds. Extraction refuses anything else (links, devices), any path that would land outside the target,
// and sizes beyond the caps, so a tampered template cannot write anywhere but its own directory.

/** The directory's contents as a tar (sorted, directories before what they hold, paths relative to `dir`, mtime 0 so
 * equal clusters give equal tars). */
export async function tarDirectory(dir: string): Promise<Buffer> {
  const pack = tar.pack();
  const collected = (async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of pack as AsyncIterable<Buffer>) chunks.push(chunk);
    return chunks;
  })();
  const walk = (rel: string) => {
    for (const name of readdirSync(path.join(dir, rel)).sort()) {
      const relPath = rel ? `${rel}/${name}` : name;
      const full = path.join(dir, relPath);
      const st = statSync(full);
      const common = { name: relPath, mtime: new Date(0), uid: 0, gid: 0 };
      if (st.isDirectory()) {
        pack.entry({ ...common, type: 'directory', mode: 0o700 });
        walk(relPath);
      } else if (st.isFile()) {
        pack.entry({ ...common, type: 'file', mode: 0o600 }, readFileSync(full));
      }
    }
  };
  try {
    walk('');
    pack.finalize();
  } catch (e) {
    pack.destroy(e as Error);
  }
  return Buffer.concat(await collected);
}

export interface ExtractLimits {
  /** Largest single file (the 16 MB WAL segment is the template's largest). */
  maxEntryBytes: number;
  /** All files together (the template's cluster is ≈ 24 MB). */
  maxTotalBytes: number;
  /** Number of entries (the template holds ≈ 400). */
  maxEntries: number;
}

const DEFAULT_LIMITS: ExtractLimits = { maxEntryBytes: 64 * 2 ** 20, maxTotalBytes: 512 * 2 ** 20, maxEntries: 20_000 };

/** The entry's path inside `dir`, or an error naming why it is refused. */
function entryTarget(dir: string, name: string): string {
  const fail = (why: string) => new Error(`tar: refusing ${JSON.stringify(name)}: ${why}`);
  if (name.includes('\0')) throw fail('NUL in path');
  if (path.posix.isAbsolute(name) || path.win32.isAbsolute(name)) throw fail('absolute path');
  const parts = name.split(/[/\\]+/).filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw fail('".." in path');
  if (parts.length === 0) throw fail('empty path');
  const target = path.resolve(dir, ...parts);
  if (!target.startsWith(path.resolve(dir) + path.sep)) throw fail('outside the directory');
  return target;
}

/**
 * Extracts a tar made by `tarDirectory()` into `dir`, streaming: the ≈ 24 MB cluster is never held whole in memory
 * (it would stay in the gateway's resident memory). Files 0600, directories 0700, whatever the archive says.
 * Creating a file is what costs (0.2–0.8 ms each on a loaded 2-core VM, ≈ 400 files in the template's cluster): up to
 * `concurrency` small files are written at once.
 */
export async function extractTar(
  source: AsyncIterable<Uint8Array>,
  dir: string,
  { concurrency = 4, limits = DEFAULT_LIMITS }: { concurrency?: number; limits?: ExtractLimits } = {},
): Promise<void> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const extract = tar.extract();
  const input = Readable.from(source, { objectMode: false });
  input.once('error', (e) => extract.destroy(e));
  input.pipe(extract);
  // Small files are collected and written by a pool of `concurrency` writers; a big one (the 16 MB WAL segment) is
  // written piece by piece as it arrives, so it is never buffered whole.
  const writing = new Set<Promise<void>>();
  let failure: unknown = null;
  const write = async (target: string, chunks: Uint8Array[]) => {
    const handle = await open(target, 'w', 0o600);
    try {
      for (const chunk of chunks) await handle.write(chunk);
    } finally {
      await handle.close();
    }
  };
  let total = 0;
  let entries = 0;
  try {
    for await (const entry of extract) {
      const { name, type } = entry.header;
      const size = entry.header.size ?? 0;
      const target = entryTarget(dir, name);
      if (++entries > limits.maxEntries) throw new Error(`tar: more than ${limits.maxEntries} entries`);
      if (type === 'directory') {
        mkdirSync(target, { recursive: true, mode: 0o700 });
        entry.resume();
        continue;
      }
      if (type !== 'file' && type !== 'contiguous-file') {
        throw new Error(`tar: refusing ${JSON.stringify(name)}: entry type ${type} (only files and directories)`);
      }
      if (size > limits.maxEntryBytes) throw new Error(`tar: refusing ${JSON.stringify(name)}: ${size} bytes`);
      total += size;
      if (total > limits.maxTotalBytes) throw new Error(`tar: archive holds more than ${limits.maxTotalBytes} bytes`);
      mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
      if (size > 256 * 1024) {
        const handle = await open(target, 'w', 0o600);
        try {
          for await (const chunk of entry as AsyncIterable<Buffer>) await handle.write(chunk);
        } finally {
          await handle.close();
        }
        continue;
      }
      const chunks: Uint8Array[] = [];
      for await (const chunk of entry as AsyncIterable<Buffer>) chunks.push(chunk);
      const task: Promise<void> = write(target, chunks)
        .catch((e: unknown) => {
          failure ??= e;
        })
        .finally(() => writing.delete(task));
      writing.add(task);
      if (writing.size >= concurrency) await Promise.race(writing);
    }
  } catch (e) {
    input.destroy();
    extract.destroy();
    throw e;
  } finally {
    await Promise.all(writing);
  }
  if (failure) throw failure;
}
