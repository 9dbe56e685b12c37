/**
 * Feeds the evaluator's series store from the metric points the observatory stores (DuckDB), incrementally:
 * each poll reads only the rows written since the last one (by `ingested_ns`, which the single writer hands out
 * in commit order) and only the metrics some rule names. The first poll backfills what the rules' longest
 * window needs, in time-ordered chunks, so a restarted observatory judges its SLOs on what it already holds.
 */
import { jsonArray, num, numOrNull, Params, str } from '../query/sql.js';
import type { QueryStore } from '../query/types.js';
import { baseNamesFor, type MetricPointInput, OtlpSeriesConverter } from './otlp-series.js';
import type { SeriesStore } from './series-store.js';

interface Row {
  name: string;
  type: string;
  service: string;
  scope_name: string | null;
  attributes: string | null;
  resource: string | null;
  time_ns: string;
  ingested_ns: string;
  temporality: unknown;
  is_monotonic: boolean | null;
  value: unknown;
  count: unknown;
  sum: unknown;
  bounds: string | null;
  bucket_counts: string | null;
}

const COLUMNS = `name, type, service, scope_name, CAST(attributes AS VARCHAR) AS attributes,
  CAST(resource AS VARCHAR) AS resource, CAST(time_ns AS VARCHAR) AS time_ns,
  CAST(ingested_ns AS VARCHAR) AS ingested_ns, temporality, is_monotonic, value,
  CAST(count AS DOUBLE) AS count, sum, CAST(to_json(bounds) AS VARCHAR) AS bounds,
  CAST(to_json(bucket_counts) AS VARCHAR) AS bucket_counts`;

/** Backfill chunk: one hour of points per query (scaled windows are shorter; this only bounds memory). */
const BACKFILL_CHUNK_MS = 3_600_000;

export class MetricFeed {
  private cursor: bigint | null = null;
  private readonly converter = new OtlpSeriesConverter();
  private readonly baseNames: string[];
  /** Points read and samples kept, since start. */
  readonly counts = { points: 0, samples: 0 };

  /**
   * @param metricNames the Prometheus metric names the rules select (`http_server_request_duration_bucket`, …)
   * @param backfillMs how far back the first poll reads
   */
  constructor(
    private readonly store: QueryStore,
    private readonly series: SeriesStore,
    metricNames: Iterable<string>,
    private readonly backfillMs: number,
  ) {
    this.baseNames = [...new Set([...metricNames].flatMap(baseNamesFor))].sort();
  }

  private nameCondition(p: Params): string {
    return `regexp_replace(name, '[^a-zA-Z0-9_:]', '_', 'g') IN ${p.list(this.baseNames)}`;
  }

  /** Reads what was stored since the last poll into the series store. */
  async poll(nowMs: number): Promise<void> {
    if (this.baseNames.length === 0) return;
    if (this.cursor === null) {
      await this.backfill(nowMs);
      return;
    }
    const p = new Params();
    const rows = await this.store.query<Row>(
      `SELECT ${COLUMNS} FROM metric_points WHERE ingested_ns > ${p.ns(this.cursor)} AND ${this.nameCondition(p)}
       ORDER BY time_ns`,
      p.values,
    );
    this.apply(rows);
  }

  private async backfill(nowMs: number): Promise<void> {
    const [top] = await this.store.query<{ c: string }>(
      'SELECT CAST(coalesce(max(ingested_ns), 0) AS VARCHAR) AS c FROM metric_points',
    );
    const upTo = BigInt(top?.c ?? '0');
    for (let from = nowMs - this.backfillMs; from < nowMs + BACKFILL_CHUNK_MS; from += BACKFILL_CHUNK_MS) {
      const p = new Params();
      const rows = await this.store.query<Row>(
        `SELECT ${COLUMNS} FROM metric_points
         WHERE ingested_ns <= ${p.ns(upTo)} AND time_ns >= ${p.ns(BigInt(Math.floor(from)) * 1_000_000n)}
           AND time_ns < ${p.ns(BigInt(Math.floor(from + BACKFILL_CHUNK_MS)) * 1_000_000n)}
           AND ${this.nameCondition(p)}
         ORDER BY time_ns`,
        p.values,
      );
      this.apply(rows);
    }
    this.cursor = upTo;
  }

  private apply(rows: readonly Row[]): void {
    for (const r of rows) {
      const ingested = BigInt(r.ingested_ns);
      if (this.cursor !== null && ingested > this.cursor) this.cursor = ingested;
      this.counts.points++;
      for (const s of this.converter.convert(toInput(r))) {
        if (this.series.append(s.labels, s.t, s.v)) this.counts.samples++;
      }
    }
  }
}

function toInput(r: Row): MetricPointInput {
  return {
    name: r.name,
    type: r.type,
    service: r.service,
    scopeName: str(r.scope_name),
    attributes: r.attributes ?? '{}',
    resource: r.resource ?? '{}',
    timeMs: Number(BigInt(r.time_ns) / 1_000_000n),
    temporality: num(r.temporality),
    isMonotonic: r.is_monotonic,
    value: numOrNull(r.value),
    count: numOrNull(r.count),
    sum: numOrNull(r.sum),
    bounds: r.bounds === null ? null : jsonArray(r.bounds).map(num),
    bucketCounts: r.bucket_counts === null ? null : jsonArray(r.bucket_counts).map(num),
  };
}
