import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  DOUBLE,
  type DuckDBAppender,
  type DuckDBConnection,
  DuckDBInstance,
  type DuckDBValue,
  LIST,
  listValue,
  UBIGINT,
} from '@duckdb/node-api';
import { applySchema, createTableAs, TABLES, type TableName, traceKeyOf } from './schema.js';
import type {
  EnvelopeColumns,
  LogRow,
  MetricPointRow,
  RowCounts,
  SpanRow,
  StoreOptions,
  WriteMode,
} from './types.js';

const DOUBLE_LIST = LIST(DOUBLE);
const UBIGINT_LIST = LIST(UBIGINT);

/** Rows per multi-row INSERT statement (insert write mode). */
const INSERT_CHUNK_ROWS = 256;

/**
 * One row's placeholders per table for the insert write mode. List columns travel as their text
 * form (`[1,2]`) and are cast in SQL, because an empty list has no bindable element type.
 */
const ROW_PLACEHOLDERS: Record<TableName, string> = {
  spans: `(${Array.from({ length: 27 }, () => '?').join(',')})`,
  logs: `(${Array.from({ length: 19 }, () => '?').join(',')})`,
  metric_points: `(${[
    ...Array.from({ length: 17 }, () => '?'),
    '?::DOUBLE[]',
    '?::UBIGINT[]',
    '?',
    '?',
    '?',
    '?::UBIGINT[]',
    '?',
    '?::UBIGINT[]',
    '?',
    '?',
    ...Array.from({ length: 5 }, () => '?'),
  ].join(',')})`,
};

const listText = (v: readonly (number | bigint)[] | null): string | null =>
  v === null ? null : `[${v.join(',')}]`;

/**
 * A strictly increasing nanosecond clock anchored to wall time: every flush gets a distinct,
 * ordered `ingested_ns`, which retention and the live tail rely on.
 */
class IngestClock {
  private readonly wallAnchorNs = BigInt(Date.now()) * 1_000_000n;
  private readonly monoAnchorNs = process.hrtime.bigint();
  private last = 0n;

  now(): bigint {
    let t = this.wallAnchorNs + (process.hrtime.bigint() - this.monoAnchorNs);
    if (t <= this.last) t = this.last + 1n;
    this.last = t;
    return t;
  }
}

/** A tiny pool of reader connections, so concurrent `query()` calls never share a connection. */
class ConnectionPool {
  private readonly idle: DuckDBConnection[];
  private readonly waiters: ((c: DuckDBConnection) => void)[] = [];
  private drained: (() => void) | undefined;

  constructor(private readonly all: readonly DuckDBConnection[]) {
    this.idle = [...all];
  }

  acquire(): Promise<DuckDBConnection> {
    const c = this.idle.pop();
    if (c) return Promise.resolve(c);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  release(c: DuckDBConnection): void {
    const next = this.waiters.shift();
    if (next) next(c);
    else this.idle.push(c);
    if (this.idle.length === this.all.length) this.drained?.();
  }

  /** Waits until no connection is in use, then closes them all. */
  async closeAll(): Promise<void> {
    if (this.idle.length < this.all.length) {
      await new Promise<void>((resolve) => {
        this.drained = resolve;
      });
    }
    for (const c of this.all) c.closeSync();
    this.idle.length = 0;
  }
}

/** Serialises async critical sections (all writes go through one DuckDB connection). */
class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Waits for the lock and returns its release function (for critical sections spanning calls). */
  acquire(): Promise<() => void> {
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const acquired = this.tail.then(() => release);
    this.tail = held;
    return acquired;
  }
}

/**
 * One write transaction on the writer connection, using the store's long-lived appender per table
 * (appenders outlive transactions: a flush moves their rows into whichever transaction is open;
 * creating them per transaction left their native buffers to the JS garbage collector, and RSS
 * grew by hundreds of MiB). Rows are appended synchronously — they leave the JS heap at once, so
 * the objects die young; `commit()` flushes the appenders and commits asynchronously (WAL write +
 * fsync happen off the event loop). Nothing is visible to readers before the commit. Holds the
 * store's write lock from `beginAppend()` until commit/rollback.
 */
export class AppendSession {
  /** Rows appended so far, per table. */
  readonly counts: RowCounts = { spans: 0, logs: 0, metricPoints: 0 };
  private done = false;

  constructor(
    readonly ingestedNs: bigint,
    private readonly conn: DuckDBConnection,
    private readonly appenders: Record<TableName, DuckDBAppender>,
    private readonly release: () => void,
  ) {}

  get rows(): number {
    return this.counts.spans + this.counts.logs + this.counts.metricPoints;
  }

  appendSpans(rows: readonly SpanRow[]): void {
    this.append('spans', rows, appendSpan);
    this.counts.spans += rows.length;
  }

  appendLogs(rows: readonly LogRow[]): void {
    this.append('logs', rows, appendLog);
    this.counts.logs += rows.length;
  }

  appendMetricPoints(rows: readonly MetricPointRow[]): void {
    this.append('metric_points', rows, appendMetricPoint);
    this.counts.metricPoints += rows.length;
  }

  async commit(): Promise<void> {
    if (this.done) throw new Error('append session already finished');
    this.done = true;
    try {
      if (this.counts.spans > 0) this.appenders.spans.flushSync();
      if (this.counts.logs > 0) this.appenders.logs.flushSync();
      if (this.counts.metricPoints > 0) this.appenders.metric_points.flushSync();
      await this.conn.run('COMMIT');
    } catch (err) {
      await this.conn.run('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      this.release();
    }
  }

  async rollback(): Promise<void> {
    if (this.done) return;
    this.done = true;
    try {
      for (const table of TABLES) this.appenders[table].clear();
    } catch {
      // the transaction is rolled back below either way
    }
    try {
      await this.conn.run('ROLLBACK');
    } finally {
      this.release();
    }
  }

  private append<R>(
    table: TableName,
    rows: readonly R[],
    appendRow: (a: DuckDBAppender, row: R, ns: bigint) => void,
  ) {
    if (this.done) throw new Error('append session already finished');
    const a = this.appenders[table];
    for (const row of rows) {
      appendRow(a, row, this.ingestedNs);
      a.endRow();
    }
  }
}

function toParam(v: unknown, index: number): DuckDBValue {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case 'string':
    case 'number':
    case 'bigint':
    case 'boolean':
      return v;
    default:
      if (Array.isArray(v)) return listValue(v.map((x, i) => toParam(x, i)));
      throw new TypeError(`query parameter ${index} has an unsupported type (${typeof v})`);
  }
}

function appendNullable<T>(
  appender: DuckDBAppender,
  v: T | null,
  append: (a: DuckDBAppender, value: T) => void,
): void {
  if (v === null) appender.appendNull();
  else append(appender, v);
}

/**
 * The observatory's telemetry store: DuckDB with the fixed schema in `schema.ts`.
 *
 * Reading (`query`) returns plain objects as produced by `@duckdb/node-api`'s
 * `getRowObjectsJS()`: BIGINT/UBIGINT/HUGEINT (including `count(*)`) come back as **`bigint`**,
 * INTEGER/DOUBLE as `number`, JSON columns as their **JSON text** (`string`; use DuckDB's JSON
 * functions in SQL or `JSON.parse` in JS), lists as arrays, NULL as `null`.
 *
 * Writing (`insert*`) is serialised on one writer connection; each call is one batch that gets one
 * `ingested_ns`. Use the `WriteQueue` for batching; these methods write immediately.
 */
export class TelemetryStore {
  private readonly clock = new IngestClock();
  private readonly writeLock = new Mutex();
  private closed = false;
  /** Long-lived appenders of the writer connection (created on first use, dropped by compact()). */
  private appenders: Record<TableName, DuckDBAppender> | undefined;

  private constructor(
    readonly path: string,
    private readonly instance: DuckDBInstance,
    private readonly writer: DuckDBConnection,
    private readonly readers: ConnectionPool,
    private readonly writeMode: WriteMode,
  ) {}

  /** Opens (creating if needed) the store at `path`, a file path or `:memory:`. */
  static async open(path: string, options: StoreOptions = {}): Promise<TelemetryStore> {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const config: Record<string, string> = {};
    if (options.memoryLimit) config.memory_limit = options.memoryLimit;
    if (options.threads) config.threads = String(options.threads);
    if (options.walAutocheckpoint) config.wal_autocheckpoint = options.walAutocheckpoint;
    const instance = await DuckDBInstance.create(path, config);
    const writer = await instance.connect();
    try {
      await applySchema(writer);
    } catch (err) {
      writer.closeSync();
      instance.closeSync();
      throw err;
    }
    const readers: DuckDBConnection[] = [];
    for (let i = 0; i < Math.max(1, options.readers ?? 2); i++) readers.push(await instance.connect());
    return new TelemetryStore(
      path,
      instance,
      writer,
      new ConnectionPool(readers),
      options.writeMode ?? 'appender',
    );
  }

  get inMemory(): boolean {
    return this.path === ':memory:';
  }

  /** Runs a read query with positional parameters (`?` or `$1`). See the class doc for value types. */
  async query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    this.assertOpen();
    const values = params.map((p, i) => toParam(p, i));
    const conn = await this.readers.acquire();
    try {
      const reader = await conn.runAndReadAll(sql, values);
      return reader.getRowObjectsJS() as T[];
    } finally {
      this.readers.release(conn);
    }
  }

  insertSpans(rows: readonly SpanRow[]): Promise<void> {
    return this.write('spans', rows, spanValues, (session) => session.appendSpans(rows));
  }

  insertLogs(rows: readonly LogRow[]): Promise<void> {
    return this.write('logs', rows, logValues, (session) => session.appendLogs(rows));
  }

  insertMetricPoints(rows: readonly MetricPointRow[]): Promise<void> {
    return this.write('metric_points', rows, metricValues, (session) => session.appendMetricPoints(rows));
  }

  /** Row counts per table. */
  async counts(): Promise<RowCounts> {
    const [r] = await this.query<{ spans: bigint; logs: bigint; metric_points: bigint }>(
      `SELECT (SELECT count(*) FROM spans) AS spans, (SELECT count(*) FROM logs) AS logs,
              (SELECT count(*) FROM metric_points) AS metric_points`,
    );
    return { spans: Number(r!.spans), logs: Number(r!.logs), metricPoints: Number(r!.metric_points) };
  }

  /**
   * Bytes the data occupies. File store: DuckDB's used blocks × block size plus the WAL (blocks
   * freed by deletions are reused and not counted, so retention converges although the file does
   * not shrink). `:memory:` store: memory held by in-memory table data (`duckdb_memory()` tag
   * IN_MEMORY_TABLE). Both shrink only after a checkpoint following deletions.
   */
  async sizeBytes(): Promise<number> {
    if (this.inMemory) {
      const [m] = await this.query<{ bytes: bigint | null }>(
        `SELECT sum(memory_usage_bytes) AS bytes FROM duckdb_memory() WHERE tag = 'IN_MEMORY_TABLE'`,
      );
      return Number(m?.bytes ?? 0);
    }
    const [r] = await this.query<{ block_size: bigint; used_blocks: bigint }>(
      'SELECT block_size, used_blocks FROM pragma_database_size() WHERE database_name = current_database()',
    );
    let wal = 0;
    try {
      wal = statSync(`${this.path}.wal`).size;
    } catch {
      wal = 0;
    }
    return Number(r?.block_size ?? 0) * Number(r?.used_blocks ?? 0) + wal;
  }

  /** Size of the database file (and WAL) on disk; 0 for `:memory:`. */
  fileBytes(): number {
    if (this.inMemory) return 0;
    let total = 0;
    for (const p of [this.path, `${this.path}.wal`]) {
      try {
        total += statSync(p).size;
      } catch {
        // absent
      }
    }
    return total;
  }

  /** Deletes every row ingested at or before `cutoffNs` from all tables; returns deleted counts. */
  deleteIngestedUpTo(cutoffNs: bigint): Promise<RowCounts> {
    return this.writeLock.run(async () => {
      this.assertOpen();
      const deleted: number[] = [];
      for (const table of TABLES) {
        const r = await this.writer.run(`DELETE FROM ${table} WHERE ingested_ns <= $1`, [cutoffNs]);
        deleted.push(r.rowsChanged);
      }
      return { spans: deleted[0]!, logs: deleted[1]!, metricPoints: deleted[2]! };
    });
  }

  /**
   * Rewrites every table (DuckDB preserves the insertion order). DuckDB reclaims the space of deleted rows
   * only for whole row groups (122,880 rows); after deleting part of a row group this is what
   * gives the space back. Blocks writers while it runs; readers see the old table until commit.
   */
  compact(): Promise<void> {
    return this.writeLock.run(async () => {
      this.assertOpen();
      this.closeAppenders(); // bound to the tables about to be replaced
      await this.writer.run('BEGIN TRANSACTION');
      try {
        for (const table of TABLES) {
          const tmp = `${table}__compact`;
          await this.writer.run(createTableAs(table, tmp));
          await this.writer.run(`INSERT INTO ${tmp} SELECT * FROM ${table}`);
          await this.writer.run(`DROP TABLE ${table}`);
          await this.writer.run(`ALTER TABLE ${tmp} RENAME TO ${table}`);
        }
        await this.writer.run('COMMIT');
      } catch (err) {
        await this.writer.run('ROLLBACK');
        throw err;
      }
      await this.writer.run('CHECKPOINT');
    });
  }

  /** Writes a checkpoint so that blocks freed by deletions are released/reused. */
  checkpoint(): Promise<void> {
    return this.writeLock.run(async () => {
      this.assertOpen();
      await this.writer.run('CHECKPOINT');
    });
  }

  /** Waits for pending writes, then closes every connection and the database. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.writeLock.run(async () => {
      this.closed = true;
    });
    await this.readers.closeAll();
    this.closeAppenders();
    this.writer.closeSync();
    this.instance.closeSync();
  }

  private closeAppenders(): void {
    if (!this.appenders) return;
    for (const table of TABLES) this.appenders[table].closeSync();
    this.appenders = undefined;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('TelemetryStore is closed');
  }

  /**
   * Opens a write transaction with appenders on every table (waits for the write lock: one
   * session or maintenance operation at a time). The caller must `commit()` or `rollback()`.
   */
  async beginAppend(): Promise<AppendSession> {
    const release = await this.writeLock.acquire();
    try {
      this.assertOpen();
      this.appenders ??= {
        spans: await this.writer.createAppender('spans'),
        logs: await this.writer.createAppender('logs'),
        metric_points: await this.writer.createAppender('metric_points'),
      };
      await this.writer.run('BEGIN TRANSACTION');
      try {
        return new AppendSession(this.clock.now(), this.writer, this.appenders, release);
      } catch (err) {
        await this.writer.run('ROLLBACK').catch(() => undefined);
        throw err;
      }
    } catch (err) {
      release();
      throw err;
    }
  }

  private async write<R>(
    table: TableName,
    rows: readonly R[],
    rowValues: (row: R, ingestedNs: bigint, out: DuckDBValue[]) => void,
    appendTo: (session: AppendSession) => void,
  ): Promise<void> {
    if (rows.length === 0) return;
    if (this.writeMode === 'appender') {
      const session = await this.beginAppend();
      try {
        appendTo(session);
      } catch (err) {
        await session.rollback();
        throw err;
      }
      await session.commit();
      return;
    }
    await this.writeLock.run(async () => {
      this.assertOpen();
      const ingestedNs = this.clock.now();
      const rowPlaceholder = ROW_PLACEHOLDERS[table];
      await this.writer.run('BEGIN TRANSACTION');
      try {
        for (let i = 0; i < rows.length; i += INSERT_CHUNK_ROWS) {
          const chunk = rows.slice(i, i + INSERT_CHUNK_ROWS);
          const values: DuckDBValue[] = [];
          for (const row of chunk) rowValues(row, ingestedNs, values);
          const sql = `INSERT INTO ${table} VALUES ${Array.from({ length: chunk.length }, () => rowPlaceholder).join(',')}`;
          await this.writer.run(sql, values);
        }
        await this.writer.run('COMMIT');
      } catch (err) {
        await this.writer.run('ROLLBACK');
        throw err;
      }
    });
  }
}

function appendSpan(a: DuckDBAppender, r: SpanRow, ingestedNs: bigint): void {
  a.appendVarchar(r.traceId);
  a.appendVarchar(r.spanId);
  a.appendVarchar(r.parentSpanId);
  a.appendVarchar(r.traceState);
  a.appendVarchar(r.name);
  a.appendUTinyInt(r.kind);
  a.appendVarchar(r.service);
  a.appendBigInt(r.startNs);
  a.appendBigInt(r.endNs);
  a.appendBigInt(r.durationNs);
  a.appendUTinyInt(r.statusCode);
  a.appendVarchar(r.statusMessage);
  a.appendVarchar(r.attributes);
  a.appendVarchar(r.resource);
  a.appendVarchar(r.scopeName);
  a.appendVarchar(r.events);
  a.appendVarchar(r.links);
  a.appendBigInt(ingestedNs);
  a.appendUBigInt(traceKeyOf(r.traceId));
  appendEnvelope(a, r);
  a.appendUInteger(r.flags);
  a.appendUInteger(r.droppedAttributesCount);
  a.appendUInteger(r.droppedEventsCount);
  a.appendUInteger(r.droppedLinksCount);
}

/** The envelope columns, in the order of schema.ts. */
function appendEnvelope(a: DuckDBAppender, r: EnvelopeColumns): void {
  a.appendVarchar(r.scopeVersion);
  a.appendVarchar(r.scopeAttributes);
  a.appendVarchar(r.scopeSchemaUrl);
  a.appendVarchar(r.resourceSchemaUrl);
}

function spanValues(r: SpanRow, ingestedNs: bigint, out: DuckDBValue[]): void {
  out.push(
    r.traceId,
    r.spanId,
    r.parentSpanId,
    r.traceState,
    r.name,
    r.kind,
    r.service,
    r.startNs,
    r.endNs,
    r.durationNs,
    r.statusCode,
    r.statusMessage,
    r.attributes,
    r.resource,
    r.scopeName,
    r.events,
    r.links,
    ingestedNs,
    traceKeyOf(r.traceId),
    r.scopeVersion,
    r.scopeAttributes,
    r.scopeSchemaUrl,
    r.resourceSchemaUrl,
    r.flags,
    r.droppedAttributesCount,
    r.droppedEventsCount,
    r.droppedLinksCount,
  );
}

function appendLog(a: DuckDBAppender, r: LogRow, ingestedNs: bigint): void {
  a.appendBigInt(r.timeNs);
  a.appendBigInt(r.observedNs);
  a.appendUTinyInt(r.severityNumber);
  a.appendVarchar(r.severityText);
  a.appendVarchar(r.body);
  a.appendVarchar(r.service);
  a.appendVarchar(r.traceId);
  a.appendVarchar(r.spanId);
  a.appendVarchar(r.attributes);
  a.appendVarchar(r.resource);
  a.appendVarchar(r.scopeName);
  a.appendBigInt(ingestedNs);
  a.appendVarchar(r.eventName);
  appendEnvelope(a, r);
  a.appendUInteger(r.flags);
  a.appendUInteger(r.droppedAttributesCount);
}

function logValues(r: LogRow, ingestedNs: bigint, out: DuckDBValue[]): void {
  out.push(
    r.timeNs,
    r.observedNs,
    r.severityNumber,
    r.severityText,
    r.body,
    r.service,
    r.traceId,
    r.spanId,
    r.attributes,
    r.resource,
    r.scopeName,
    ingestedNs,
    r.eventName,
    r.scopeVersion,
    r.scopeAttributes,
    r.scopeSchemaUrl,
    r.resourceSchemaUrl,
    r.flags,
    r.droppedAttributesCount,
  );
}

const appendDouble = (a: DuckDBAppender, v: number) => a.appendDouble(v);
const appendInt = (a: DuckDBAppender, v: number) => a.appendInteger(v);
const appendUBig = (a: DuckDBAppender, v: bigint) => a.appendUBigInt(v);
const appendDoubles = (a: DuckDBAppender, v: number[]) => a.appendList(v, DOUBLE_LIST);
const appendUBigs = (a: DuckDBAppender, v: bigint[]) => a.appendList(v, UBIGINT_LIST);

function appendMetricPoint(a: DuckDBAppender, r: MetricPointRow, ingestedNs: bigint): void {
  a.appendVarchar(r.name);
  a.appendVarchar(r.description);
  a.appendVarchar(r.unit);
  a.appendVarchar(r.type);
  a.appendVarchar(r.service);
  a.appendVarchar(r.attributes);
  a.appendVarchar(r.resource);
  a.appendVarchar(r.scopeName);
  a.appendBigInt(r.startNs);
  a.appendBigInt(r.timeNs);
  a.appendUTinyInt(r.temporality);
  appendNullable(a, r.isMonotonic, (x, v) => x.appendBoolean(v));
  appendNullable(a, r.value, appendDouble);
  appendNullable(a, r.count, appendUBig);
  appendNullable(a, r.sum, appendDouble);
  appendNullable(a, r.min, appendDouble);
  appendNullable(a, r.max, appendDouble);
  appendNullable(a, r.bounds, appendDoubles);
  appendNullable(a, r.bucketCounts, appendUBigs);
  appendNullable(a, r.expScale, appendInt);
  appendNullable(a, r.expZeroCount, appendUBig);
  appendNullable(a, r.expPosOffset, appendInt);
  appendNullable(a, r.expPosCounts, appendUBigs);
  appendNullable(a, r.expNegOffset, appendInt);
  appendNullable(a, r.expNegCounts, appendUBigs);
  appendNullable(a, r.quantiles, (x, v) => x.appendVarchar(v));
  a.appendBigInt(ingestedNs);
  appendEnvelope(a, r);
  a.appendUInteger(r.flags);
}

function metricValues(r: MetricPointRow, ingestedNs: bigint, out: DuckDBValue[]): void {
  out.push(
    r.name,
    r.description,
    r.unit,
    r.type,
    r.service,
    r.attributes,
    r.resource,
    r.scopeName,
    r.startNs,
    r.timeNs,
    r.temporality,
    r.isMonotonic,
    r.value,
    r.count,
    r.sum,
    r.min,
    r.max,
    listText(r.bounds),
    listText(r.bucketCounts),
    r.expScale,
    r.expZeroCount,
    r.expPosOffset,
    listText(r.expPosCounts),
    r.expNegOffset,
    listText(r.expNegCounts),
    r.quantiles,
    ingestedNs,
    r.scopeVersion,
    r.scopeAttributes,
    r.scopeSchemaUrl,
    r.resourceSchemaUrl,
    r.flags,
  );
}
