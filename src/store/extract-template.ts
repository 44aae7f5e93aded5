/**
 * `node src/store/extract-template.ts <dir>`: extracts the committed PGlite template into `dir`. seedFromTemplate()
 * runs it as a child process so that what extraction costs (Brotli's 16 MiB window, the file buffers: ≈ 25 MiB that
 * the allocator never hands back) leaves with the child instead of staying in the server's resident memory.
 */
import { extractTemplate } from './pglite.ts';

await extractTemplate(process.argv[2] ?? '');
