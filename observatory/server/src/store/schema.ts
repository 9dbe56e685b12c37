/**
 * The observatory's fixed DuckDB schema (contract shared with the query layer: names and columns
 * never change; columns may only be added).
 *
 * Rows are appended in ingestion order, so `ingested_ns` (and, roughly, the event time) is
 * clustered and DuckDB's per-row-group min/max zone maps prune time-range scans without an index.
 * Added beyond the contract: `logs.event_name` (OTLP LogRecord.event_name, '' when absent); on every
 * table the rest of the OTLP envelope — `scope_version`, `scope_attributes` (JSON object),
 * `scope_schema_url`, `resource_schema_url` — and the item's `flags` (span/log: W3C trace flags in
 * bits 0–7, bits 8–9 the "has is_remote / is_remote" flags; data point: DataPointFlags); on spans
 * `dropped_attributes_count`/`dropped_events_count`/`dropped_links_count`, on logs
 * `dropped_attributes_count` (events and links carry their own `droppedAttributesCount`, links
 * their `flags`, inside the JSON); and
 * `spans.trace_key`: the first 8 bytes of the trace id as an unsigned integer. Trace ids are random,
 * so a lookup by id reads the whole id column whatever the order; comparing one 8-byte integer per
 * row before the 32-character string makes that scan about twice as fast at 10M spans
 * (bench/observatory-query.ts).
 *
 * No ART indexes: they slow appends several-fold and DuckDB does not use them for range scans.
 */
const ENVELOPE_COLUMN_DEFS = [
  "scope_version VARCHAR DEFAULT ''",
  "scope_attributes JSON DEFAULT '{}'",
  "scope_schema_url VARCHAR DEFAULT ''",
  "resource_schema_url VARCHAR DEFAULT ''",
] as const;
const ENVELOPE_COLUMNS = ENVELOPE_COLUMN_DEFS.join(',\n    ');

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
    trace_key UBIGINT,
    ${ENVELOPE_COLUMNS},
    flags UINTEGER DEFAULT 0,
    dropped_attributes_count UINTEGER DEFAULT 0,
    dropped_events_count UINTEGER DEFAULT 0,
    dropped_links_count UINTEGER DEFAULT 0
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
    event_name VARCHAR DEFAULT '',
    ${ENVELOPE_COLUMNS},
    flags UINTEGER DEFAULT 0,
    dropped_attributes_count UINTEGER DEFAULT 0
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
    ingested_ns BIGINT,
    ${ENVELOPE_COLUMNS},
    flags UINTEGER DEFAULT 0
  )`,
];

/** `spans.trace_key`: the first 16 hex digits of a (validated, lowercase) trace id as a UBIGINT. */
export function traceKeyOf(traceId: string): bigint {
  return BigInt(`0x${traceId.slice(0, 16)}`);
}

/** The three telemetry tables, in the order retention visits them. */
export const TABLES = ['spans', 'logs', 'metric_points'] as const;
export type TableName = (typeof TABLES)[number];

/** The store's schema version, kept in table `schema_version` (one row). */
export const SCHEMA_VERSION = 2;

/**
 * Steps that bring a store file written by an older version up to date, by the version they lead
 * to. Columns are only ever added, as the last columns, in the same order as in the CREATE
 * statements above (the appender and `compact()` rely on the order), with defaults that fill
 * the rows already there. A fresh store runs them too: every step is a no-op on current tables.
 */
const MIGRATIONS: readonly { version: number; statements: readonly string[] }[] = [
  {
    version: 1,
    statements: [
      'ALTER TABLE spans ADD COLUMN IF NOT EXISTS trace_key UBIGINT',
      "UPDATE spans SET trace_key = CAST('0x' || left(trace_id, 16) AS UBIGINT) WHERE trace_key IS NULL",
      "ALTER TABLE logs ADD COLUMN IF NOT EXISTS event_name VARCHAR DEFAULT ''",
    ],
  },
  {
    version: 2,
    statements: [
      ...(['spans', 'logs', 'metric_points'] as const).flatMap((table) => [
        ...ENVELOPE_COLUMN_DEFS.map((c) => `ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS ${c}`),
        `ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS flags UINTEGER DEFAULT 0`,
        ...(table === 'metric_points'
          ? []
          : [`ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS dropped_attributes_count UINTEGER DEFAULT 0`]),
        ...(table === 'spans'
          ? [
              'ALTER TABLE spans ADD COLUMN IF NOT EXISTS dropped_events_count UINTEGER DEFAULT 0',
              'ALTER TABLE spans ADD COLUMN IF NOT EXISTS dropped_links_count UINTEGER DEFAULT 0',
            ]
          : []),
      ]),
    ],
  },
];

/**
 * Creates missing tables, then migrates older ones (each step once, recorded in `schema_version`).
 * A file written by a newer observatory (more columns than this one appends) is
 * refused rather than written wrongly.
 */
export async function applySchema(conn: {
  run(sql: string, values?: (number | string)[]): Promise<unknown>;
  runAndReadAll(sql: string): Promise<{ getRowObjectsJS(): unknown[] }>;
}): Promise<void> {
  for (const ddl of DDL) await conn.run(ddl);
  await conn.run('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
  const [row] = (
    await conn.runAndReadAll('SELECT max(version) AS v FROM schema_version')
  ).getRowObjectsJS() as {
    v: number | null;
  }[];
  const current = row?.v ?? 0;
  if (current > SCHEMA_VERSION) {
    throw new Error(
      `the telemetry store has schema version ${current}, newer than this observatory's (${SCHEMA_VERSION}); use a newer observatory or another OBSERVATORY_DB`,
    );
  }
  if (current === SCHEMA_VERSION) return;
  // Not one transaction: DuckDB refuses to commit an ALTER and an UPDATE of the same table together.
  // Every step is idempotent and the version is written last, so an interrupted migration reruns.
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    for (const sql of m.statements) await conn.run(sql);
  }
  await conn.run('DELETE FROM schema_version');
  await conn.run('INSERT INTO schema_version VALUES ($1)', [SCHEMA_VERSION]);
}

/** `CREATE TABLE` for `table`'s columns under another name (used to rewrite a table). */
export function createTableAs(table: TableName, name: string): string {
  const ddl = DDL[TABLES.indexOf(table)]!;
  return ddl.replace(`CREATE TABLE IF NOT EXISTS ${table} (`, `CREATE TABLE ${name} (`);
}
