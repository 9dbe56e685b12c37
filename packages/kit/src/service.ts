import { setTimeout as sleep } from 'node:timers/promises';
import { onSupervisorGone } from '@glassbox/contracts';
import { createOperationalApp, type ServiceApp, withTimeout } from './app.js';
import type { BaseConfig } from './config.js';
import { createDb, type Db, migrate } from './db.js';
import { startFaultFlags } from './faults/flags.js';
import { type KitTable, migrateKitTables } from './kit-tables.js';
import { createLogger, type Logger } from './logger.js';
import { getTelemetry } from './telemetry/index.js';

export interface ServiceContext {
  logger: Logger;
  db: Db | undefined;
}

/** The operational listener's app (`/metrics`, `/openapi.json`, and what `operational.routes` adds). */
export type OperationalApp = Awaited<ReturnType<typeof createOperationalApp>>;

export interface RunServiceOptions {
  name: string;
  config: BaseConfig;
  /**
   * The service's own database, its numbered SQL migrations, and the kit's tables it uses (the outbox of a
   * producer, the inbox of a consumer), created and upgraded by the kit.
   */
  database?: { url: string; migrations: URL; kitTables?: readonly KitTable[] };
  /** Idempotent demo data, run after migrations when SEED_DEMO is true. */
  seed?: (ctx: ServiceContext & { db: Db }) => Promise<void>;
  /** Builds the app (without listening). Background work hooks into the app's onReady/onClose. */
  build: (ctx: ServiceContext) => Promise<ServiceApp>;
  /**
   * Where the operational endpoints (/metrics, /openapi.json) listen when the app's own port is public and its
   * app was built with `operationalRoutes: false` (the gateway).
   */
  operational?: {
    port: number;
    host: string;
    /** Extra routes of the operational listener only (the gateway's admin endpoints). */
    routes?: (ops: OperationalApp) => Promise<void>;
  };
}

export interface RunningService {
  app: ServiceApp;
  url: string;
  /** The operational listener's address, when there is one. */
  operationalUrl?: string;
  stop(reason?: string): Promise<void>;
}

/**
 * The life of a service process: connect (waiting for the database), migrate under an advisory lock, seed,
 * build, listen; on SIGTERM/SIGINT — or when the supervisor that started it is gone — stop accepting, let
 * in-flight requests finish, close pools and flush telemetry, within SHUTDOWN_TIMEOUT_MS.
 */
export async function runService(options: RunServiceOptions): Promise<RunningService> {
  const { config } = options;
  const logger = createLogger(options.name, config.LOG_LEVEL);
  process.on('unhandledRejection', (reason) => {
    logger.fatal({ err: reason }, 'unhandled rejection');
    process.exitCode = 1;
  });
  // Killed with SIGKILL or crashed, the supervisor stops nobody: stop as on SIGTERM (at once while starting).
  let stopAndExit: ((reason: string) => void) | undefined;
  onSupervisorGone(() => (stopAndExit ? stopAndExit('supervisor gone') : process.exit(1)));

  // Fault flags first: a crash-loop must take effect even while the database is still being waited for.
  const faultFlags = await startFaultFlags(options.name, logger);

  let db: Db | undefined;
  if (options.database) {
    db = createDb(options.database.url, {
      max: config.DB_POOL_MAX,
      idleTimeoutMillis: config.DB_POOL_IDLE_MS,
    });
    await waitForDatabase(db, logger);
    // The kit's tables first: a service's migration may move its own rows into them.
    await migrateKitTables(db, options.database.kitTables ?? [], logger);
    await migrate(db, options.database.migrations, logger);
    if (config.SEED_DEMO && options.seed) await options.seed({ logger, db });
  }

  const app = await options.build({ logger, db });
  if (faultFlags) app.addHook('onClose', async () => faultFlags.close());
  if (db) {
    const pool = db;
    app.addHook('onClose', async () => pool.close());
  }
  let operationalUrl: string | undefined;
  if (options.operational) {
    const ops = await createOperationalApp({ name: options.name, logger, openapi: () => app.swagger() });
    await options.operational.routes?.(ops);
    app.addHook('onClose', async () => ops.close());
    operationalUrl = await ops.listen(options.operational);
    logger.info({ address: operationalUrl }, `${options.name} operational endpoints listening`);
  }
  const address = await app.listen({ port: config.PORT, host: config.HOST });
  logger.info({ address }, `${options.name} listening`);

  let stopping: Promise<void> | undefined;
  const stop = (reason = 'stop') => {
    stopping ??= (async () => {
      logger.info({ reason }, 'shutting down: draining in-flight requests');
      const timer = setTimeout(() => {
        logger.error('shutdown timed out; exiting');
        process.exit(1);
      }, config.SHUTDOWN_TIMEOUT_MS);
      timer.unref();
      try {
        await app.close();
        logger.info('stopped');
      } finally {
        await flushTelemetry(logger);
        clearTimeout(timer);
      }
    })();
    return stopping;
  };
  stopAndExit = (reason) => {
    stop(reason).then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => stopAndExit?.(signal));
  return { app, url: address, operationalUrl, stop };
}

/**
 * How long a stopping service waits for its last spans, metrics and logs to be exported. An OTLP endpoint that
 * does not answer (a collector that is down; the observatory, gone with a supervisor that was killed) would
 * otherwise hold every stop until SHUTDOWN_TIMEOUT_MS and end it as a failure; a reachable one takes milliseconds.
 */
export const TELEMETRY_FLUSH_MS = 2_000;

async function flushTelemetry(logger: Logger): Promise<void> {
  const telemetry = getTelemetry();
  if (!telemetry) return;
  const flushed = await withTimeout(telemetry.shutdown(), TELEMETRY_FLUSH_MS).then(
    () => true,
    () => false,
  );
  if (!flushed) {
    logger.warn(
      { waitedMs: TELEMETRY_FLUSH_MS },
      'telemetry not exported: the OTLP endpoint did not answer in time; stopping without it',
    );
  }
}

async function waitForDatabase(db: Db, logger: Logger, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      await db.ping();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      logger.warn({ attempt, err: (error as Error).message }, 'database not reachable yet; retrying');
      await sleep(Math.min(2_000, 100 * 2 ** attempt));
    }
  }
}
