/**
 * Config reload without a restart: on SIGHUP or when the config file changes, the file is loaded and validated;
 * a valid config has its teams and keys applied to the store and its routing generation swapped in (requests in
 * flight finish on the one they started with). An invalid config is refused with a log line; the old one stays.
 */
import { unwatchFile, watchFile } from 'node:fs';
import type { Logger } from 'pino';
import { applyConfig, revokeRemovedConfigKeys } from './bootstrap.js';
import { ConfigError, loadConfigFile } from './config/load.js';
import type { Runtime } from './runtime.js';

export interface Reloader {
  /** Loads and applies the file now. Resolves true when the new config is live. Never rejects. */
  reload(reason: string): Promise<boolean>;
  close(): void;
}

export function createReloader(file: string, runtime: Runtime, logger: Logger, opts: { watch?: boolean; intervalMs?: number } = {}): Reloader {
  let running: Promise<boolean> = Promise.resolve(true);

  async function apply(reason: string): Promise<boolean> {
    try {
      const next = loadConfigFile(file);
      // Listener settings cannot move under a running server; keep what is live.
      next.server = { ...next.server, host: runtime.config.server.host, port: runtime.config.server.port };
      const previous = runtime.config;
      await applyConfig(next, runtime.store, logger);
      runtime.reload(next);
      // After the swap: a config the runtime refuses revokes nothing. The new config is live even if this fails.
      await revokeRemovedConfigKeys(previous, next, runtime.store, logger).catch((err) =>
        logger.error({ err: (err as Error).message }, 'could not revoke the keys removed from the config; revoke them through the admin API'),
      );
      logger.info({ reason, config: file }, 'config reloaded');
      return true;
    } catch (err) {
      const problems = err instanceof ConfigError ? err.problems : [(err as Error).message];
      logger.error({ reason, config: file, problems }, 'config reload refused; the previous config stays in effect');
      return false;
    }
  }

  const reload = (reason: string) => (running = running.then(() => apply(reason)));
  // Polling (not fs.watch): it survives editors that replace the file and Kubernetes ConfigMap symlink swaps.
  const onChange = (cur: { mtimeMs: number }, prev: { mtimeMs: number }) => {
    if (cur.mtimeMs !== prev.mtimeMs) void reload('file changed');
  };
  if (opts.watch !== false && file !== '(inline)') watchFile(file, { interval: opts.intervalMs ?? 1000, persistent: false }, onChange);

  return {
    reload,
    close: () => unwatchFile(file, onChange),
  };
}
