/**
 * The observatory's fixed DuckDB schema (contract shared with the query layer: names and columns
 * never change; columns may only be added).
 *
 * Rows are appended in ingestion order, so `ingested_ns` (and, roughly, the event time) is
 * clustered and DuckDB's per-row-group min/max zone maps prune time-range scans without an index.
 * Added beyond the contract: `logs.event_name` (OTLP LogRecord.event_name, '' when absent), and
 * `spans.trace_key`: the first 8 bytes of the trace id as an unsigned integer. Trace ids are random,
 * so a lookup by id reads the whole id column whatever the order; comparing one 8-byte integer per
 * row before the 32-character string makes that scan about twice as fast at 10M spans
 * (bench/observatory-query.ts).
 *
 * No ART indexes: they slow appends several-fold and DuckDB does not use them for range scans.
 */
const DDL: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS spans (
    trace_id VARCHAR,
    span_id VARCHAR,
    parent_span_id VARCHAR,
    trace_state VARCHAR,
    name VARCHAR,
    kind UTINYINT,
    service VARCHAR,
    start_ns BIGINT,
    end_ns BIGINT,
    duration_ns BIGINT,
    status_code UTINYINT,
    status_message VARCHAR,
    attributes JSON,
    resource JSON,
    scope_name VARCHAR,
    events JSON,
    links JSON,
    ingested_ns BIGINT,
    trace_key UBIGINT
  )`,

  `CREATE TABLE IF NOT EXISTS logs (
    time_ns BIGINT,
    observed_ns BIGINT,
    severity_number UTINYINT,
    severity_text VARCHAR,
    body VARCHAR,
    service VARCHAR,
    trace_id VARCHAR,
    span_id VARCHAR,
    attributes JSON,
    resource JSON,
    scope_name VARCHAR,
    ingested_ns BIGINT,
    event_name VARCHAR
  )`,
  `CREATE TABLE IF NOT EXISTS metric_points (
    name VARCHAR,
    description VARCHAR,
    unit VARCHAR,
    type VARCHAR,
    service VARCHAR,
    attributes JSON,
    resource JSON,
    scope_name VARCHAR,
    start_ns BIGINT,
    time_ns BIGINT,
    temporality UTINYINT,
    is_monotonic BOOLEAN,
    value DOUBLE,
    count UBIGINT,
    sum DOUBLE,
    min DOUBLE,
    max DOUBLE,
    bounds DOUBLE[],
    bucket_counts UBIGINT[],
    exp_scale INTEGER,
    exp_zero_count UBIGINT,
    exp_pos_offset INTEGER,
    exp_pos_counts UBIGINT[],
    exp_neg_offset INTEGER,
    exp_neg_counts UBIGINT[],
    quantiles JSON,
    ingested_ns BIGINT
  )`,
];

/** `spans.trace_key`: the first 16 hex digits of a (validated, lowercase) trace id as a UBIGINT. */
export function traceKeyOf(traceId: string): bigint {
  return BigInt(`0x${traceId.slice(0, 16)}`);
}

/** The three telemetry tables, in the order retention visits them. */
export const TABLES = ['spans', 'logs', 'metric_points'] as const;
export type TableName = (typeof TABLES)[number];

/**
 * Columns added after a store file may already exist: an older file gets them at open, as the last
 * columns, in the same order as in the CREATE statements above, and its rows are filled in.
 */
const UPGRADES: readonly string[] = [
  'ALTER TABLE spans ADD COLUMN IF NOT EXISTS trace_key UBIGINT',
  // Old rows get their key once; later opens find none to fill (one scan of the key column).
  "UPDATE spans SET trace_key = CAST('0x' || left(trace_id, 16) AS UBIGINT) WHERE trace_key IS NULL",
];

export const SCHEMA_DDL: readonly string[] = [...DDL, ...UPGRADES];

/** `CREATE TABLE` for `table`'s columns under another name (used to rewrite a table). */
export function createTableAs(table: TableName, name: string): string {
  const ddl = DDL[TABLES.indexOf(table)]!;
  return ddl.replace(`CREATE TABLE IF NOT EXISTS ${table} (`, `CREATE TABLE ${name} (`);
}
