import { onSupervisorGone } from '@glassbox/contracts';
import { RuleFileError } from './alerting/rule-files.js';
import { buildObservatory, listenObservatory } from './app.js';
import { ConfigError, loadConfig } from './config.js';

/**
 * Composition root: `npm start -w @glassbox/observatory`. Reads the environment (see config.ts),
 * listens on the console/API port, OTLP/HTTP and OTLP/gRPC, and shuts down gracefully on
 * SIGTERM/SIGINT, or when the supervisor that started it is gone (stop accepting, write what is queued, close
 * DuckDB). A second signal exits at once.
 */
async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }

  let obs: Awaited<ReturnType<typeof buildObservatory>>;
  try {
    obs = await buildObservatory(config);
  } catch (err) {
    if (err instanceof RuleFileError) {
      process.stderr.write(`observatory: bad rule file ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = obs.app.log;
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting without finishing shutdown');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'observatory shutting down');
    obs.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // Started by `glassbox start` and the supervisor is gone (SIGKILL, a crash): stop as on SIGTERM.
  onSupervisorGone(() => stop('SIGTERM'));

  try {
    const ports = await listenObservatory(obs, config);
    log.info(
      {
        ...ports,
        host: config.host,
        db: config.dbPath,
        retentionHours: config.retentionHours,
        maxBytes: config.maxBytes,
        alerting: obs.alerting
          ? { rules: obs.alerting.rules, intervalMs: config.alertIntervalMs, timeScale: config.timeScale }
          : false,
      },
      `observatory ready: console/API http://${config.host}:${ports.port}, OTLP/HTTP :${ports.otlpHttpPort}, OTLP/gRPC :${ports.otlpGrpcPort}`,
    );
  } catch (err) {
    log.error({ err }, 'could not start listening');
    await obs.close().catch(() => undefined);
    process.exit(1);
  }
}

await main();
