/**
 * `underlay controller --config controller.yaml`: the long-running process (ADR 0022, docs/controller.md).
 * This file is its shell: the configuration file, the real clock, timers and randomness, pino to stdout,
 * the state database, the API listener and the signals. SIGTERM (or SIGINT) stops it (the changes in flight
 * finish up to shutdownTimeout, then exit 0); SIGHUP reloads the configuration, keeping the running one
 * when the new one does not validate.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pino, type Logger } from 'pino';
import { systemClock, systemTimers } from '../../clock.js';
import { ControllerDaemon } from '../../daemon/controller-daemon.js';
import { listenAddress, parseControllerConfig, type ControllerConfig } from '../../daemon/controller-config.js';
import { createControllerMetrics } from '../../daemon/controller-metrics.js';
import { describeError } from '../../model/errors.js';
import { startApiServer } from '../../server/api-server.js';
import { startWebhookReceiver } from '../../daemon/webhook-receiver.js';
import type { DirectorySecretStore } from '../../secrets/secret-store.js';
import { tokenFromSecret } from '../../server/bearer-token.js';
import { SqliteStore, stateDatabaseFile } from '../../store/sqlite-store.js';
import { ExitCode, type CliIO } from '../io.js';
import type { Register } from '../main.js';
import { secretStoreOf, stateDirOf } from '../state-options.js';

interface ControllerOptions {
  config: string;
  state?: string;
}

async function readConfig(file: string, io: CliIO, stateOverride: string | undefined): Promise<ControllerConfig> {
  const absolute = path.resolve(io.cwd, file);
  const config = parseControllerConfig(file, await readFile(absolute, 'utf8'));
  return stateOverride ? { ...config, stateDir: path.resolve(io.cwd, stateOverride) } : config;
}

/** Where the controller's state and secrets are: the config's, else the CLI's defaults. */
function locations(config: ControllerConfig, io: CliIO): { stateDir: string; secretsDir: string } {
  const stateDir = stateDirOf({ ...(config.stateDir ? { stateDir: config.stateDir } : {}) }, io);
  return { stateDir, secretsDir: secretStoreOf({ stateDir, ...(config.secretsDir ? { secretsDir: config.secretsDir } : {}) }, io).dir };
}

/** Warnings of the helpers the CLI shares with the controller go to the log, not to a terminal. */
function loggingIO(io: CliIO, logger: Logger): CliIO {
  return { ...io, stdout: (text) => logger.info(text.trimEnd()), stderr: (text) => logger.warn(text.trimEnd()) };
}

/** Runs until a signal stops it; resolves with the exit code. */
async function runController(options: ControllerOptions, io: CliIO): Promise<number> {
  let config = await readConfig(options.config, io, options.state);
  const { stateDir, secretsDir } = locations(config, io);
  config = { ...config, stateDir, secretsDir };
  const token = tokenFromSecret(await secretStoreOf({ stateDir, secretsDir }, io).read(config.api.tokenSecret));
  const logger = pino({ level: config.log.level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime });
  const metrics = createControllerMetrics();
  const secretsOf = (site: ControllerConfig['sites'][number]): DirectorySecretStore => secretStoreOf({ stateDir, secretsDir: site.secretsDir ?? secretsDir }, io);
  const daemon = new ControllerDaemon(config, {
    clock: systemClock,
    timers: systemTimers,
    random: Math.random,
    logger,
    metrics,
    io: loggingIO(io, logger),
    openStore: (site) => SqliteStore.open({ file: stateDatabaseFile(stateDir), site, clock: systemClock }),
    secretsOf,
  });
  daemon.start();
  const api = await startApiServer({ ...listenAddress(config.api.listen), daemon, metrics, token });
  logger.info({ api: api.url, stateDir }, 'API listening');
  const webhooks = await startWebhookReceiver(config, {
    clock: systemClock,
    metrics,
    logger,
    secretsOf,
    onPush: (site) => void daemon.site(site)?.request('webhook'),
    // In the site's store, so a delivery replayed after a restart is still dropped. Both come from the same
    // configuration and the daemon reloads first, so a receiving site has its store; if not, the 500 asks the
    // Git host to retry rather than accept the delivery unrecorded.
    deliveryLog: (site) => {
      const supervised = daemon.site(site);
      if (supervised === undefined) throw new Error(`no store for site ${site}`);
      return supervised.store.webhookDeliveries();
    },
  });
  if (webhooks) logger.info({ webhooks: webhooks.url }, 'webhooks listening');
  return new Promise<number>((resolve) => {
    const stop = (signal: string): void => {
      logger.info({ signal }, 'stopping: no new change begins; the changes in flight finish');
      void daemon.stop().then(async ({ finished }) => {
        await webhooks?.close();
        await api.close();
        resolve(finished ? ExitCode.Ok : ExitCode.Error);
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    process.on('SIGHUP', () => {
      readConfig(options.config, io, options.state).then(
        async (next) => {
          daemon.reload({ ...next, stateDir, secretsDir });
          await webhooks?.reload({ ...next, stateDir, secretsDir });
        },
        (error: unknown) => logger.error({ error: describeError(error) }, 'the new configuration is not valid; the running one stays'),
      );
    });
  });
}

export const registerController: Register = (program, io, setExit) => {
  program
    .command('controller')
    .description('Run the controller: reconcile every configured site continuously (watch, poll, webhooks), serve the API and metrics.')
    .requiredOption('--config <file>', 'the controller configuration (docs/controller.md)')
    .option('--state <dir>', "the state directory for all sites (overrides the configuration's stateDir)")
    .action(async (options: ControllerOptions) => {
      const code = await runController(options, io);
      setExit(code);
      // A source read that never answers holds a socket open; it must not keep a stopped controller alive.
      setTimeout(() => process.exit(code), 2000).unref();
    });
};
