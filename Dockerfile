# Notion Gateway: Node 24 runs the TypeScript sources directly (type stripping), so there is no build step. The
# compile cache below keeps the stripped sources and V8's code: the stripper is never loaded at run time (≈ 15 MiB).
FROM node:24-bookworm-slim

WORKDIR /app
ENV NODE_ENV=production

COPY package.json package-lock.json ./
# Production dependencies only; the node@24 devDependency is not needed in an image that already is Node 24.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY tsconfig.json ./
COPY generated ./generated
COPY src ./src
# The operator commands, runnable in the container without devDependencies:
#   docker compose exec api npm run migrate        (or: node tools/cli/migrate.ts [--status])
#   docker compose exec api npm run rotate-keys    (or: node tools/cli/rotate-keys.ts)
#   docker compose exec api npm run oauth:client -- --gpt-id g-…   (OAUTH=on: the Custom GPT Actions client)
COPY tools/cli/migrate.ts tools/cli/rotate-keys.ts tools/cli/oauth-client.ts ./tools/cli/

# Filled here by a configuration check (it loads every module), with the flags of CMD; writable by the server, which
# adds the modules it loads later (oidc-provider with OAUTH=on).
ENV NODE_COMPILE_CACHE=/app/.cache/node
RUN node --liftoff-only --max-semi-space-size=2 src/main.ts --check && chown -R node:node /app/.cache

ARG BUILD_SHA=unknown
ENV BUILD_SHA=${BUILD_SHA} \
    PORT=8080 \
    HOST=0.0.0.0 \
    DATA_DIR=/data

RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 8080

# Follows PORT (docker-compose.yml passes it on).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT || 8080}/health`).then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# The flags of `npm start` (package.json): PGlite's WASM stays on V8's baseline compiler and the young JS heap stays
# small, ≈ 100 MiB less resident memory (README, Storage).
CMD ["node", "--liftoff-only", "--max-semi-space-size=2", "src/main.ts"]
