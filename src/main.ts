/**
 * `npm start`: reads the environment, builds the gateway and serves it until SIGINT/SIGTERM.
 */
import { createGateway } from './app.ts';
import { ConfigError, loadConfig } from './config/env.ts';
import { createLogger } from './shared/logging.ts';

async function main() {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  const gateway = await createGateway(config, logger);
  const { url } = await gateway.listen();
  logger.info(
    { url, openapi: `${url}/openapi.json`, mcp: `${url}/mcp`, sse: `${url}/sse` },
    'Notion Gateway is listening',
  );

  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'shutting down');
    await gateway.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error('Notion Gateway failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
