/**
 * `npm start`: checks the whole configuration, builds the gateway and serves it until SIGINT/SIGTERM. On a terminal
 * the logs are human-readable; anywhere else (Docker, systemd, a pipe) one JSON object per line.
 * `npm start -- --check`: checks the configuration only (exit 0, or 2 with every problem) and opens nothing. Having
 * loaded every module, it also fills Node's compile cache when NODE_COMPILE_CACHE is set (the Dockerfile does so).
 */
import { createGateway } from './app.ts';
import { ConfigError } from './config/env.ts';
import { formatProblems } from './config/problems.ts';
import { KeyConfigError } from './security/token-cipher.ts';
import { prettyDestination } from './shared/log-format.ts';
import { createLogger } from './shared/logging.ts';
import { OPERATOR } from './shared/principal.ts';
import { checkConfiguration, startSummary } from './startup.ts';

async function main() {
  const config = checkConfiguration();
  if (process.argv.includes('--check')) {
    console.log('Configuration OK.');
    return;
  }
  const logger = createLogger(config.logLevel, process.stdout.isTTY ? prettyDestination(process.stdout) : undefined);
  const gateway = await createGateway(config, logger);
  const { url } = await gateway.listen();
  const connections = await gateway.engine.services.connections.list(OPERATOR);
  const { msg, fields } = startSummary(config, url, connections.length);
  logger.info(fields, msg);

  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'shutting down');
    await gateway.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  // Configuration problems (all of them, from the environment or the stored keys) in one wording; exit code 2.
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(2);
  }
  if (error instanceof KeyConfigError) {
    console.error(formatProblems([error.message]));
    process.exit(2);
  }
  console.error('Notion Gateway failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
