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
import { type FileHandle, open } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, brotliDecompressSync, createBrotliDecompress, constants as zlib } from 'node:zlib';

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

// --- a minimal ustar reader/writer: regular files and directories, which is all a PostgreSQL data directory holds.

const BLOCK = 512;

function header(name: string, type: '0' | '5', size: number): Buffer {
  if (Buffer.byteLength(name) > 100) throw new Error(`tar: path too long: ${name}`);
  const h = Buffer.alloc(BLOCK);
  h.write(name, 0, 100, 'utf8');
  h.write(`${(type === '5' ? 0o700 : 0o600).toString(8).padStart(7, '0')}\0`, 100);
  h.write('0000000\0', 108); // uid
  h.write('0000000\0', 116); // gid
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  h.write('00000000000\0', 136); // mtime: 0, so equal clusters give equal tars
  h.write('        ', 148); // checksum placeholder (spaces while summing)
  h.write(type, 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

/** The directory's contents as a tar (sorted, directories before what they hold, paths relative to `dir`). */
export function tarDirectory(dir: string): Buffer {
  const parts: Buffer[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(path.join(dir, rel)).sort()) {
      const relPath = rel ? `${rel}/${name}` : name;
      const full = path.join(dir, relPath);
      const st = statSync(full);
      if (st.isDirectory()) {
        parts.push(header(relPath, '5', 0));
        walk(relPath);
      } else if (st.isFile()) {
        const data = readFileSync(full);
        parts.push(header(relPath, '0', data.length), data);
        const pad = (BLOCK - (data.length % BLOCK)) % BLOCK;
        if (pad) parts.push(Buffer.alloc(pad));
      }
    }
  };
  walk('');
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

const field = (h: Buffer, start: number, length: number) => {
  const raw = h.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? length : end).toString('utf8');
};

/**
 * Extracts a tar made by `tarDirectory()` (or PGlite's `dumpDataDir`) into `dir`, streaming: the ≈ 24 MB cluster is
 * never held whole in memory (it would stay in the gateway's resident memory). Files 0600, directories 0700.
 * Creating a file is what costs (0.2–0.8 ms each on a loaded 2-core VM, ≈ 400 files in the template's cluster): up to
 * `concurrency` files are written at once.
 */
export async function extractTar(source: AsyncIterable<Uint8Array>, dir: string, concurrency = 4): Promise<void> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Small files are collected and written by a pool of `concurrency` writers; a big one (the 16 MB WAL segment) is
  // written piece by piece as it arrives, so it is never buffered whole.
  const writing = new Set<Promise<void>>();
  const pool = async (target: string, chunks: Uint8Array[]) => {
    const handle = await open(target, 'w', 0o600);
    try {
      for (const chunk of chunks) await handle.write(chunk);
    } finally {
      await handle.close();
    }
  };
  type Entry = {
    target: string;
    remaining: number;
    padding: number;
    chunks: Uint8Array[];
    handle: FileHandle | null;
  };
  let entry: Entry | null = null;
  let pending: Buffer = Buffer.alloc(0);
  let ended = false;
  let failure: unknown = null;
  try {
    for await (const chunk of source) {
      pending = pending.length ? Buffer.concat([pending, chunk]) : Buffer.from(chunk);
      while (!ended) {
        if (entry) {
          const take = Math.min(entry.remaining, pending.length);
          if (take > 0) {
            const piece = pending.subarray(0, take);
            if (entry.handle) await entry.handle.write(piece);
            else entry.chunks.push(piece);
          }
          entry.remaining -= take;
          pending = pending.subarray(take);
          if (entry.remaining > 0 || pending.length < entry.padding) break;
          pending = pending.subarray(entry.padding);
          if (entry.handle) {
            await entry.handle.close();
          } else {
            const task: Promise<void> = pool(entry.target, entry.chunks)
              .catch((e: unknown) => {
                failure ??= e;
              })
              .finally(() => writing.delete(task));
            writing.add(task);
            if (writing.size >= concurrency) await Promise.race(writing);
          }
          entry = null;
          continue;
        }
        if (pending.length < BLOCK) break;
        const h = pending.subarray(0, BLOCK);
        pending = pending.subarray(BLOCK);
        const name = field(h, 0, 100);
        if (!name) {
          ended = true; // end-of-archive block
          break;
        }
        const prefix = field(h, 345, 155);
        const rel = (prefix ? `${prefix}/${name}` : name).replace(/^\/+/, '').replace(/\/+$/, '');
        const size = Number.parseInt(field(h, 124, 12).trim() || '0', 8);
        const type = String.fromCharCode(h[156] ?? 0);
        const target = path.join(dir, rel);
        if (rel.split('/').includes('..') || !target.startsWith(path.join(dir, path.sep))) {
          throw new Error(`tar: refusing path outside the directory: ${rel}`);
        }
        if (type === '5') {
          mkdirSync(target, { recursive: true, mode: 0o700 });
        } else if (type === '0' || type === '\0') {
          mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
          const handle = size > 256 * 1024 ? await open(target, 'w', 0o600) : null;
          entry = { target, remaining: size, padding: (BLOCK - (size % BLOCK)) % BLOCK, chunks: [], handle };
        } else {
          throw new Error(`tar: unsupported entry type ${JSON.stringify(type)} for ${rel}`);
        }
      }
    }
    if (entry) throw new Error(`tar: archive ends inside ${entry.target}`);
  } finally {
    await entry?.handle?.close();
    await Promise.all(writing);
  }
  if (failure) throw failure;
}
