import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { metrics } from '@opentelemetry/api';
import { ATTR_DB_NAMESPACE, ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions';
import type { Pool, PoolClient, PoolConfig, QueryResultRow } from 'pg';
import {
  type DbTarget,
  dbTargetOf,
  forgetPool,
  observePool,
  type StatementMeter,
  statementMeter,
} from './db-telemetry.js';
import { startTransactionTrace } from './db-trace.js';
import {
  beforeStatement,
  exhaustPoolDuringFaults,
  SLOW_STATEMENT_SQL,
  slowStatementSeconds,
} from './faults/db.js';
import type { Logger } from './logger.js';

const require = createRequire(import.meta.url);
const pg = require('pg') as typeof import('pg');

// int8 (bigint) and numeric come back as strings by default; our amounts are cents in int8 and fit in a
// JS number, so parse them as numbers. Counts (int8) too.
pg.types.setTypeParser(20, (v: string) => Number(v));

export interface Queryable {
  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<R[]>;
}

/** A transaction's connection: queries, plus work to do once (and only if) the transaction commits. */
export interface Transaction extends Queryable {
  /** Runs `fn` after COMMIT succeeded (never after a rollback); errors it throws are ignored. */
  afterCommit(fn: () => void): void;
}

export interface Db extends Queryable {
  /** Runs `fn` in a transaction; commits on success, rolls back on any error. */
  tx<T>(fn: (q: Transaction) => Promise<T>): Promise<T>;
  ping(): Promise<void>;
  close(): Promise<void>;
  readonly pool: Pool;
}

const connectionFailures = metrics.getMeter('glassbox.db').createCounter('glassbox.db.connection.failures', {
  description:
    'Statements and transactions that failed because the database could not be reached or the connection broke (refused, reset, timed out, shut down)',
  unit: '{failure}',
});

/** Socket errors that mean the server was not reached, or the connection to it broke. */
const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

/**
 * The `error.type` of an error that means the database could not be reached or the connection broke, else
 * undefined (a statement the server refused — a constraint, a syntax error, a statement timeout — is not one).
 * SQLSTATE class 08 is a connection exception; 57P01–57P03 are the server shutting down or not accepting
 * connections; node-postgres says "timeout exceeded when trying to connect" when no connection came in time
 * and "Connection terminated" when one broke.
 */
export function connectionErrorType(error: unknown): string | undefined {
  const e = error as { code?: unknown; message?: unknown } | undefined;
  const code = typeof e?.code === 'string' ? e.code : '';
  if (CONNECTION_ERROR_CODES.has(code) || code.startsWith('08') || /^57P0[123]$/.test(code)) return code;
  const message = typeof e?.message === 'string' ? e.message : '';
  if (/timeout exceeded when trying to connect/i.test(message)) return 'connect_timeout';
  if (/connection terminated/i.test(message)) return 'connection_terminated';
  return undefined;
}

/** Runs `fn`; a failure to reach the database is counted (glassbox.db.connection.failures) and rethrown. */
async function counted<T>(target: DbTarget, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    const type = connectionErrorType(error);
    if (type !== undefined) {
      connectionFailures.add(1, {
        [ATTR_ERROR_TYPE]: type,
        ...(target.database ? { [ATTR_DB_NAMESPACE]: target.database } : {}),
      });
    }
    throw error;
  }
}

/**
 * A connection checked out of the pool, for `use`. pg-pool takes its own 'error' listener off a connection for
 * as long as it is out, and a connection that breaks meanwhile (reset, the server gone) emits 'error': with
 * nothing listening that would end the process. So it is listened to here, and a connection that broke (or,
 * with `dropOnFailure`, whose work failed, as `pool.query` does) is not handed out again.
 */
async function checkedOut<T>(
  connect: () => Promise<PoolClient>,
  use: (client: PoolClient) => Promise<T>,
  dropOnFailure: boolean,
): Promise<T> {
  const client = await connect();
  let broken: Error | undefined;
  const onError = (error: Error) => {
    broken ??= error;
  };
  client.on('error', onError);
  let failed: Error | undefined;
  try {
    return await use(client);
  } catch (error) {
    if (dropOnFailure) failed = error instanceof Error ? error : new Error(String(error));
    throw error;
  } finally {
    client.removeListener('error', onError);
    client.release(broken ?? failed);
  }
}

/**
 * A statement on a connection of the pool, measured and traced (db-telemetry.ts) without the wait for the
 * connection: a pool that runs out shows in `db.client.connection.pending_requests`, not as slow statements.
 * `db-slow` makes the database sleep first, on the statement's own connection.
 */
async function poolQuery<R extends QueryResultRow>(
  pool: Pool,
  meter: StatementMeter,
  text: string,
  values?: unknown[],
) {
  await beforeStatement();
  const slow = slowStatementSeconds();
  return checkedOut(
    () => pool.connect(),
    async (client) => {
      if (slow !== undefined)
        await meter.lone(SLOW_STATEMENT_SQL, () => client.query(SLOW_STATEMENT_SQL, [slow]));
      return meter.lone(text, () => client.query<R>(text, values));
    },
    true,
  );
}

export function createDb(connectionString: string, options: PoolConfig = {}): Db {
  const pool = new pg.Pool({
    connectionString,
    max: 10,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    statement_timeout: 15_000,
    ...options,
  });
  // An idle client can error (server restart); without a listener that would crash the process.
  pool.on('error', () => {});
  const target = dbTargetOf(connectionString, {
    ...(options.database ? { database: options.database } : {}),
    ...(options.host ? { host: options.host } : {}),
    ...(options.port ? { port: options.port } : {}),
  });
  const stopExhaustion = exhaustPoolDuringFaults(pool, pool.options.max ?? 10);
  const meter = statementMeter(target);
  observePool(pool, target);
  let closed: Promise<void> | undefined;
  return {
    pool,
    query<R extends QueryResultRow>(text: string, values?: unknown[]) {
      return counted(target, async () => (await poolQuery<R>(pool, meter, text, values)).rows);
    },
    tx(fn) {
      return transaction(fn);
    },
    async ping() {
      await counted(target, () => poolQuery(pool, meter, 'SELECT 1'));
    },
    close() {
      stopExhaustion();
      forgetPool(pool);
      closed ??= pool.end();
      return closed;
    },
  };

  function transaction<T>(fn: (q: Transaction) => Promise<T>): Promise<T> {
    const connect = () =>
      counted(target, async () => {
        await beforeStatement();
        return pool.connect();
      });
    return checkedOut(connect, (client) => inTransaction(client, fn), false);
  }

  async function inTransaction<T>(client: PoolClient, fn: (q: Transaction) => Promise<T>): Promise<T> {
    // Only what reaches the database counts as a connection failure (not an error of the caller's own code).
    const run = <R extends QueryResultRow>(text: string, values?: unknown[]) =>
      counted(target, () => meter.measure(text, () => client.query<R>(text, values)));
    const committed: (() => void)[] = [];
    // One span for the whole transaction (db-trace.ts): no span for BEGIN/COMMIT, statements as events.
    const traced = startTransactionTrace(target);
    const handle: Transaction = {
      async query<R extends QueryResultRow>(text: string, values?: unknown[]) {
        return (await traced.statement(text, () => run<R>(text, values))).rows;
      },
      afterCommit: (f) => committed.push(f),
    };
    try {
      // BEGIN and ROLLBACK are measured but are no events of the transaction's span.
      await run('BEGIN');
      const slow = slowStatementSeconds();
      if (slow !== undefined)
        await traced.statement(SLOW_STATEMENT_SQL, () => run(SLOW_STATEMENT_SQL, [slow]));
      const result = await traced.within(() => fn(handle));
      await traced.statement('COMMIT', () => run('COMMIT'));
      traced.end('commit');
      for (const f of committed) {
        try {
          f();
        } catch {
          // an after-commit hook is a hint (wake a relay); the transaction's outcome stands
        }
      }
      return result;
    } catch (error) {
      // Measured, not counted: a broken connection was counted by the statement that found it.
      await meter.measure('ROLLBACK', () => client.query('ROLLBACK')).catch(() => {});
      traced.end('rollback', error);
      throw error;
    }
  }
}

const MIGRATION_FILE = /^(\d+)_([\w-]+)\.sql$/;
const MIGRATION_LOCK_KEY = 7_346_112; // any constant: one lock per database

export interface AppliedMigration {
  version: number;
  name: string;
}

/**
 * Applies the numbered SQL files of `dir` (`001_init.sql`, `002_…`) that this database has not seen yet,
 * each in its own transaction, under a session advisory lock so that two replicas starting together do
 * not race. Returns what it applied.
 */
export async function migrate(db: Db, dir: string | URL, logger?: Logger): Promise<AppliedMigration[]> {
  const table = 'schema_migrations';
  const files = (await readdir(dir))
    .map((file) => ({ file, match: MIGRATION_FILE.exec(file) }))
    .filter((f): f is { file: string; match: RegExpExecArray } => f.match !== null)
    .map(({ file, match }) => ({ file, version: Number(match[1]), name: match[2] ?? file }))
    .sort((a, b) => a.version - b.version);
  const seen = new Set<number>();
  for (const f of files) {
    if (seen.has(f.version)) throw new Error(`two migrations share version ${f.version} in ${String(dir)}`);
    seen.add(f.version);
  }

  const client = await db.pool.connect();
  const applied: AppliedMigration[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(`CREATE TABLE IF NOT EXISTS ${table} (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set(
      (await client.query<{ version: number }>(`SELECT version FROM ${table}`)).rows.map((r) => r.version),
    );
    for (const f of files) {
      if (done.has(f.version)) continue;
      const sql = await readFile(new URL(f.file, dirUrl(dir)), 'utf8');
      await client.query('BEGIN');
      try {
        await client.query(sql);
        await client.query(`INSERT INTO ${table} (version, name) VALUES ($1, $2)`, [f.version, f.name]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw new Error(`migration ${f.file} failed: ${(error as Error).message}`, { cause: error });
      }
      applied.push({ version: f.version, name: f.name });
      logger?.info({ migration: f.file }, 'migration applied');
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => {});
    client.release();
  }
  return applied;
}

function dirUrl(dir: string | URL): URL {
  if (dir instanceof URL) return dir.href.endsWith('/') ? dir : new URL(`${dir.href}/`);
  return new URL(`file://${dir.endsWith('/') ? dir : `${dir}/`}`);
}

/** True when a pg error is a unique-constraint violation (SQLSTATE 23505). */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505';
}
