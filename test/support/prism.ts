/**
 * Prism (@stoplight/prism-cli) in proxy mode with --errors in front of the running gateway: every response that
 * breaks the generated full OpenAPI document becomes an error the test sees.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

const root = join(import.meta.dirname, '../..');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface Prism {
  url: string;
  output: () => string;
  close(): Promise<void>;
}

export async function startPrismProxy(upstream: string, document = 'generated/openapi.full.json'): Promise<Prism> {
  const port = await freePort();
  const cli = join(root, 'node_modules/@stoplight/prism-cli/dist/index.js');
  const child: ChildProcess = spawn(
    process.execPath,
    [cli, 'proxy', join(root, document), upstream, '--errors', '--port', String(port), '--host', '127.0.0.1'],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d.toString();
  });
  child.stderr?.on('data', (d) => {
    output += d.toString();
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while (!/Prism is listening/.test(output)) {
    if (child.exitCode !== null) throw new Error(`Prism exited: ${output}`);
    if (Date.now() > deadline) throw new Error(`Prism did not start: ${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    output: () => output,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
