/**
 * The layers of src/, checked by `npm run lint` (dependency-cruiser). Imports point down only:
 *
 *   main.ts, app.ts            composition root: may import anything
 *   http, mcp                  adapters (REST, MCP): never each other; reach Notion and storage only through the engine
 *   transport                  Koa plumbing both adapters share (request id, envelope, who is calling)
 *   auth                       the OAuth 2.1 authorization server and access-token verification (src/auth)
 *   engine                     operations and the request path (idempotency, audit, size policy)
 *   domain                     connections, Notion consent flow, the store with its keys
 *   notion, store, security    Notion SDK calls, database rows, token encryption: leaves beside each other
 *   shared, config, contract   errors, ids, principal, logging; configuration; the generated documents: leaves
 *
 * generated/ may be imported by every layer. Nothing in src/ imports tools/ or test/.
 */
const layer = (name, mayImport) => ({
  name: `${name}-imports-down-only`,
  comment: `src/${name} may import only ${mayImport.join(', ') || 'itself'} (and generated/, node_modules)`,
  severity: 'error',
  from: { path: `^src/${name}/` },
  to: { path: '^src/', pathNot: [`^src/${name}/`, ...mayImport.map((l) => `^src/${l}/`)] },
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'A cycle makes two modules one: split what both need into a lower layer.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'src-stays-out-of-tools-and-tests',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(tools|test)/' },
    },
    layer('shared', []),
    layer('config', ['shared']),
    layer('contract', ['shared']),
    layer('security', ['shared']),
    layer('store', ['shared']),
    layer('notion', ['shared']),
    layer('domain', ['notion', 'store', 'security', 'shared']),
    layer('engine', ['domain', 'notion', 'store', 'shared']),
    // The authorization server signs users in through the domain's Notion OAuth and keeps its records in the store.
    layer('auth', ['domain', 'store', 'security', 'notion', 'shared']),
    // transport turns a bearer token into a principal: the operator's token, or an access token verified by auth.
    layer('transport', ['auth', 'engine', 'shared']),
    layer('http', ['transport', 'engine', 'domain', 'contract', 'shared']),
    layer('mcp', ['transport', 'engine', 'contract', 'shared']),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^src/store/migrations/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
  },
};
