#!/usr/bin/env node
/**
 * `npm start`: loads the config (`--config FILE`, `GATEWAY_CONFIG`, else config/gateway.yaml), applies teams and
 * keys, prints a first-run key once, warns about unconfigured providers, and serves until SIGTERM/SIGINT.
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfigFile } from './config/load.js';
import { createLogger } from './logger.js';
import { startGateway } from './server.js';
import { fromRoot } from './paths.js';

const defaultConfig = fromRoot('config', 'gateway.yaml');

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { config: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' } },
    allowPositionals: false,
  });
  const file = values.config ?? process.env.GATEWAY_CONFIG ?? defaultConfig;
  let config;
  try {
    config = loadConfigFile(file);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  if (values.port) config.server.port = Number(values.port);
  if (values.host) config.server.host = values.host;
  const logger = createLogger(config.server.logLevel);
  const gw = await startGateway(config, logger, file);
  if (gw.createdKey) {
    process.stdout.write(
      `\n  Gateway key for team "default" (shown once, only its hash is stored):\n\n    ${gw.createdKey}\n\n` +
        `  Use it as the OpenAI SDK api key with baseURL ${gw.url}/v1, or set GATEWAY_API_KEY to choose your own.\n\n`,
    );
  }
  const stop = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    gw.close().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGHUP', () => void gw.reloader.reload('SIGHUP'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((err) => {
  process.stderr.write(`gateway failed to start: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
