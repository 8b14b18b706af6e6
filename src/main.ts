/**
 * The gateway process: loads the config (`--config FILE`, `GATEWAY_CONFIG`, else config/gateway.yaml), applies
 * teams and keys, prints a first-run key once, warns about unconfigured providers, and serves until
 * SIGTERM/SIGINT. `--workers N` (or GATEWAY_WORKERS) runs N such processes on the same ports (workers.ts; Redis
 * state only). Two entries run it: `launch.ts` (`npm start`, the bin, the Dockerfile: this module bundled) and
 * `cli.ts` (the modules as they are, for `npm run dev` and the tests).
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfigFile } from './config/load.js';
import { createLogger } from './logger.js';
import { startGateway } from './server.js';
import { fromRoot } from './paths.js';
import { describeEndpoints, startBanner } from './admin/start-banner.js';
import cluster from 'node:cluster';
import { applyWorkerConfig, runPrimary, workerIndex, workersRefusal } from './workers.js';

const defaultConfig = fromRoot('config', 'gateway.yaml');

/** Starts the gateway as the command line asks; resolves once it is ready and serving. */
export async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { config: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' }, workers: { type: 'string' } },
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
  const index = workerIndex();
  // A worker's lines say which worker wrote them.
  const logger = index === undefined ? createLogger(config.server.logLevel) : createLogger(config.server.logLevel).child({ worker: index });
  const workers = Number(values.workers ?? process.env.GATEWAY_WORKERS ?? 1);
  if (cluster.isPrimary) {
    const refused = workersRefusal(config, workers);
    if (refused) {
      process.stderr.write(`${refused}\n`);
      process.exit(2);
    }
    if (workers > 1) {
      process.exit(await runPrimary(workers, logger));
    }
  }
  applyWorkerConfig(config, index);
  const gw = await startGateway(config, logger, file);
  const endpoints = describeEndpoints(gw.runtime.config, gw.url);
  logger.info(endpoints, 'gateway ready');
  process.stdout.write(startBanner(endpoints));
  if (gw.createdKey) {
    process.stdout.write(
      `\n  Gateway key for team "default" (shown once, only its hash is stored):\n\n    ${gw.createdKey}\n\n` +
        `  Use it as the OpenAI SDK api key with baseURL ${gw.url}/v1, or set GATEWAY_API_KEY to choose your own.\n\n`,
    );
  }
  // One shutdown, whatever asks for it. A repeated signal is logged and otherwise ignored: Ctrl-C under
  // `npm start` delivers SIGINT twice (from the terminal and forwarded by npm), and dying on the second would
  // drop the running streams' settlement and the unflushed ledger. Shutdown is bounded by the grace anyway; to
  // stop at once, send SIGKILL.
  let stopping = false;
  let exitCode = 0;
  const stop = (reason: string, code = 0) => {
    exitCode = Math.max(exitCode, code);
    if (stopping) return void logger.warn({ reason }, 'shutdown already in progress');
    stopping = true;
    logger.info({ signal: reason }, 'shutting down');
    gw.close().then(
      () => process.exit(exitCode),
      (err) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGHUP', () => void gw.reloader.reload('SIGHUP'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // A bug (ours or a library's) that escapes every handler: one fatal JSON line with the error, then the same
  // graceful shutdown (running streams finish and settle within the grace), exit 1 so the supervisor restarts
  // a clean process. Dying at once (Node's default) would cut every stream unsettled.
  process.on('uncaughtException', (err, origin) => {
    logger.fatal({ err, origin }, `uncaught exception (${origin}); shutting down`);
    stop('uncaughtException', 1);
  });
}

/** A start that failed: operator mistakes (port in use, …) in one line, anything else with its stack; exit 1. */
export function startFailed(err: unknown): never {
  const shown = (err as { operatorError?: boolean }).operatorError ? (err as Error).message : ((err as Error).stack ?? err);
  process.stderr.write(`gateway failed to start: ${shown}\n`);
  process.exit(1);
}
