// `npm run sandbox -- --port 4010 --token secret_a --token secret_b --oauth-client id:secret --rate-limit --seed`
// Starts the Notion sandbox in the foreground and prints its URL (the SDK's baseUrl).
import { parseArgs } from 'node:util';
import { startSandbox } from './index.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    token: { type: 'string', multiple: true },
    'oauth-client': { type: 'string' },
    'rate-limit': { type: 'boolean', default: false },
    'latency-ms': { type: 'string' },
    snapshot: { type: 'string' },
    seed: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  console.log(`Usage: npm run sandbox -- [--port N] [--host H] [--token T]... [--oauth-client id:secret]
       [--rate-limit] [--latency-ms N|MIN-MAX] [--snapshot file.json] [--seed]
Each --token creates one isolated workspace (default token: secret_sandbox).
Admin API: <url>/__sandbox/{requests,counters,reset,faults,rate-limit,latency,workspaces,routes,seed}`);
  process.exit(0);
}

const tokens = values.token?.length ? values.token : ['secret_sandbox'];
const [clientId, clientSecret] = values['oauth-client']?.split(':') ?? [];
let latencyMs: number | { min: number; max: number } | undefined;
if (values['latency-ms']) {
  const [a, b] = values['latency-ms'].split('-').map(Number);
  latencyMs = b === undefined ? a! : { min: a!, max: b };
}

const sandbox = await startSandbox({
  port: Number(values.port),
  host: values.host,
  workspaces: tokens.map((token, i) => ({ token, name: `Sandbox workspace ${i + 1}` })),
  oauth: clientId && clientSecret ? { clientId, clientSecret } : undefined,
  rateLimit: values['rate-limit'] ? {} : false,
  latencyMs,
  snapshotFile: values.snapshot,
});

if (values.seed) {
  const { seedDemoWorkspace } = await import('./seed.ts');
  const seeded = await seedDemoWorkspace(sandbox, tokens[0]);
  console.log(`Seeded demo workspace: root page ${seeded.rootPageId}`);
}

console.log(`Notion sandbox listening on ${sandbox.url}`);
console.log(`  SDK:   new Client({ auth: '${tokens[0]}', baseUrl: '${sandbox.url}' })`);
console.log(`  Admin: ${sandbox.url}/__sandbox/requests`);

const stop = async () => {
  await sandbox.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
