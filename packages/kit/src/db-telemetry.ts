/**
 * The kit's own database telemetry, in place of the OpenTelemetry pg instrumentation: every statement the kit
 * runs (`Db.query`, a transaction's statements with its BEGIN/COMMIT/ROLLBACK, pg-boss's SQL on the bus)
 * is measured in `db.client.operation.duration`; a lone statement inside a trace gets a client span (a
 * transaction is one span of its own: db-trace.ts); and the pools are observed at collection time as
 * `db.client.connection.count` (by state), `.max` and `.pending_requests`, one series per pool name.
 *
 * Why not the instrumentation: its pool metrics were wrong — one running total for all the pools of a
 * process, every pool named `unknown_host:unknown_port/unknown_database` (pools built from a connection string),
 * updated only once a pool had been used inside a trace — and it measured only statements run inside a trace.
 * Here the same names and attributes (stable database conventions) cost a clock read and one histogram record
 * per statement, and the pools' numbers are read from the pools when metrics are collected. In CPU the two
 * measured alike (docs/performance.md).
 *
 * Off until `startDbTelemetry` (telemetry/index.ts calls it unless `pg` is among
 * OTEL_NODE_DISABLED_INSTRUMENTATIONS): a process without telemetry pays nothing here.
 */
import { performance } from 'node:perf_hooks';
import {
  type Attributes,
  type Histogram,
  metrics,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import type { Pool } from 'pg';
import { errorTypeOf } from './error-type.js';

/** Where a pool connects: the attributes every database span and metric carries. */
export interface DbTarget {
  database?: string;
  host?: string;
  port?: number;
}

/** The target of a pool from its connection string and options. */
export function dbTargetOf(connectionString: string | undefined, options: DbTarget = {}): DbTarget {
  const target: DbTarget = { ...options };
  if (!connectionString) return target;
  try {
    const url = new URL(connectionString);
    target.database ??= decodeURIComponent(url.pathname.replace(/^\//, '')) || undefined;
    target.host ??= url.hostname || undefined;
    target.port ??= url.port ? Number(url.port) : 5432;
  } catch {
    // not a URL (a libpq keyword string): the attributes we know are enough
  }
  return target;
}

export function targetAttributes(target: DbTarget): Attributes {
  const attributes: Attributes = { 'db.system.name': 'postgresql' };
  if (target.database) attributes['db.namespace'] = target.database;
  if (target.host) attributes['server.address'] = target.host;
  if (target.port) attributes['server.port'] = target.port;
  return attributes;
}

/** The SQL keyword a statement starts with (`SELECT`, `UPDATE`, `WITH` …), as `db.operation.name`. */
export function operationName(text: string): string {
  const match = /^\s*([A-Za-z]+)/.exec(text);
  return match?.[1]?.toUpperCase() ?? 'UNKNOWN';
}

/** The pool name of the database conventions: `host:port/database`, as the pg instrumentation named it. */
export function poolName(target: DbTarget): string {
  return `${target.host ?? 'unknown_host'}:${target.port ?? 'unknown_port'}/${target.database ?? 'unknown_database'}`;
}

/** The instruments, made once; `duration` is the histogram while database telemetry is on. */
let created: Histogram | undefined;
let duration: Histogram | undefined;
const observedPools = new Map<Pool, string>();

/** The statement metrics of one target: its attributes per operation, built once. */
export interface StatementMeter {
  /** Runs one statement, measuring it (when database telemetry is on). */
  measure<T>(text: string, run: () => Promise<T>): Promise<T>;
  /** Runs one statement outside a transaction: measured, and a client span of its own inside a trace. */
  lone<T>(text: string, run: () => Promise<T>): Promise<T>;
}

export function statementMeter(target: DbTarget): StatementMeter {
  const base = targetAttributes(target);
  const byOperation = new Map<string, Attributes>();
  const attributesOf = (operation: string): Attributes => {
    let attributes = byOperation.get(operation);
    if (!attributes) {
      attributes = { ...base, 'db.operation.name': operation };
      // Statements start with a keyword from a small set; anything odd is not worth a series of its own.
      if (byOperation.size < 64) byOperation.set(operation, attributes);
    }
    return attributes;
  };
  const spanName = (operation: string) => `${operation}${target.database ? ` ${target.database}` : ''}`;

  async function measure<T>(text: string, run: () => Promise<T>): Promise<T> {
    const histogram = duration;
    if (!histogram) return run();
    const start = performance.now();
    try {
      const result = await run();
      histogram.record((performance.now() - start) / 1000, attributesOf(operationName(text)));
      return result;
    } catch (error) {
      histogram.record((performance.now() - start) / 1000, {
        ...attributesOf(operationName(text)),
        'error.type': errorTypeOf(error),
      });
      throw error;
    }
  }

  return {
    measure,
    async lone(text, run) {
      // Like the instrumentation's `requireParentSpan`: outside a trace (a relay's poll) no span, only the metric.
      if (!duration || !trace.getActiveSpan()?.isRecording()) return measure(text, run);
      const operation = operationName(text);
      const span = trace.getTracer('@glassbox/kit/db').startSpan(spanName(operation), {
        kind: SpanKind.CLIENT,
        attributes: { ...attributesOf(operation), 'db.query.text': text },
      });
      try {
        return await measure(text, run);
      } catch (error) {
        const type = errorTypeOf(error);
        span.setAttribute('error.type', type);
        span.setStatus({ code: SpanStatusCode.ERROR, message: type });
        throw error;
      } finally {
        span.end();
      }
    },
  };
}

/** Reports `pool` in the connection metrics until `forgetPool`; pools of one name are summed. */
export function observePool(pool: Pool, target: DbTarget): void {
  observedPools.set(pool, poolName(target));
}

export function forgetPool(pool: Pool): void {
  observedPools.delete(pool);
}

interface PoolNumbers {
  used: number;
  idle: number;
  pending: number;
  max: number;
}

/** The observed pools' numbers, summed per pool name. */
export function poolNumbers(): Map<string, PoolNumbers> {
  const byName = new Map<string, PoolNumbers>();
  for (const [pool, name] of observedPools) {
    const sum = byName.get(name) ?? { used: 0, idle: 0, pending: 0, max: 0 };
    sum.used += pool.totalCount - pool.idleCount;
    sum.idle += pool.idleCount;
    sum.pending += pool.waitingCount;
    sum.max += pool.options.max ?? 10;
    byName.set(name, sum);
  }
  return byName;
}

/**
 * Turns database telemetry on, with instruments from the global meter provider (set it first). Idempotent.
 */
export function startDbTelemetry(): void {
  created ??= createInstruments();
  duration = created;
}

function createInstruments(): Histogram {
  const meter = metrics.getMeter('glassbox.db');
  const histogram = meter.createHistogram('db.client.operation.duration', {
    description: 'Duration of database client operations.',
    unit: 's',
    advice: { explicitBucketBoundaries: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10] },
  });
  const count = meter.createObservableUpDownCounter('db.client.connection.count', {
    description:
      'The number of connections that are currently in the state described by the state attribute.',
    unit: '{connection}',
  });
  const max = meter.createObservableUpDownCounter('db.client.connection.max', {
    description: 'The maximum number of open connections allowed.',
    unit: '{connection}',
  });
  const pending = meter.createObservableUpDownCounter('db.client.connection.pending_requests', {
    description: 'The number of current pending requests for an open connection.',
    unit: '{request}',
  });
  meter.addBatchObservableCallback(
    (result) => {
      if (!duration) return;
      for (const [name, n] of poolNumbers()) {
        const pool = { 'db.client.connection.pool.name': name };
        result.observe(count, n.used, { ...pool, 'db.client.connection.state': 'used' });
        result.observe(count, n.idle, { ...pool, 'db.client.connection.state': 'idle' });
        result.observe(max, n.max, pool);
        result.observe(pending, n.pending, pool);
      }
    },
    [count, max, pending],
  );
  return histogram;
}

export function dbTelemetryOn(): boolean {
  return duration !== undefined;
}

/** Turns database telemetry off again (tests); `startDbTelemetry` turns the same instruments back on. */
export function stopDbTelemetry(): void {
  duration = undefined;
}
