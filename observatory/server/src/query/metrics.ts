import { type Aggregation, evaluate, type MetricPoint, stepWindow } from './metrics-math.js';
import type { MetricFn, TimeRange } from './params.js';
import { badParameter } from './problem.js';
import {
  type AttrFilter,
  attrCondition,
  ENVELOPE_COLUMNS,
  type EnvelopeRow,
  jsonArray,
  jsonObject,
  nsToMs,
  num,
  numOrNull,
  Params,
  str,
  toEnvelope,
} from './sql.js';
import type { MetricPointRecord, MetricQueryResult, MetricSummary, QueryStore } from './types.js';

export async function listMetrics(store: QueryStore, range?: TimeRange): Promise<MetricSummary[]> {
  const p = new Params();
  const where = range ? `WHERE time_ns >= ${p.ns(range.startNs)} AND time_ns < ${p.ns(range.endNs)}` : '';
  const rows = await store.query<{
    name: string;
    type: string;
    unit: string;
    description: string;
    services: string;
  }>(
    `SELECT name, type, arg_max(unit, time_ns) AS unit, arg_max(description, time_ns) AS description,
       CAST(to_json(list(DISTINCT service ORDER BY service)) AS VARCHAR) AS services
     FROM metric_points ${where} GROUP BY name, type ORDER BY name, type`,
    p.values,
  );
  return rows.map((r) => ({
    name: r.name,
    type: r.type,
    unit: str(r.unit),
    description: str(r.description),
    services: jsonArray(r.services).map(str),
  }));
}

export interface MetricQuerySpec {
  name: string;
  fn: MetricFn;
  range: TimeRange;
  stepMs: number;
  service?: string;
  attrs: AttrFilter[];
  groupBy: string[];
}

interface PointRow {
  type: string;
  service: string;
  scope_name: string | null;
  attributes: unknown;
  resource: unknown;
  start_ns: string | null;
  time_ns: string;
  temporality: unknown;
  is_monotonic: boolean | null;
  value: unknown;
  count: unknown;
  sum: unknown;
  bounds: string | null;
  bucket_counts: string | null;
}

/** Most points a metric query reads; a bound on memory, far above what a dashboard range holds. */
export const MAX_POINTS = 500_000;
/** How far before the range points are read, so the first delta in the range has its baseline. */
export const BASELINE_LOOKBACK_MS = 5 * 60_000;

const QUANTILES: Partial<Record<MetricFn, number>> = { p50: 0.5, p90: 0.9, p95: 0.95, p99: 0.99 };

/** What `fn` means for a metric of `type`, or a 400 if it means nothing. */
export function aggregationFor(fn: MetricFn, type: string): { agg: Aggregation; histogram: boolean } {
  const q = QUANTILES[fn];
  if (q !== undefined) {
    if (type !== 'histogram')
      throw badParameter('querystring.fn', `${fn} needs an explicit-bucket histogram, not a ${type}`);
    return { agg: { kind: 'quantile', q }, histogram: true };
  }
  if (fn === 'rate' || fn === 'increase') {
    if (type === 'sum') return { agg: { kind: 'increase', perSecond: fn === 'rate' }, histogram: false };
    if (type === 'histogram') return { agg: { kind: 'increase', perSecond: fn === 'rate' }, histogram: true };
    throw badParameter('querystring.fn', `${fn} needs a sum (counter) or histogram, not a ${type}`);
  }
  if (type === 'gauge' || type === 'sum')
    return { agg: { kind: 'gauge', op: fn as 'sum' | 'avg' | 'max' }, histogram: false };
  if (type === 'histogram' && fn === 'avg') return { agg: { kind: 'histogramAvg' }, histogram: true };
  throw badParameter('querystring.fn', `${fn} is not defined for a ${type}`);
}

export function parseGroupBy(raw: string | undefined): string[] {
  if (raw === undefined) return [];
  const keys = [
    ...new Set(
      raw
        .split(',')
        .map((k) => k.trim())
        .filter((k) => k.length > 0),
    ),
  ];
  if (keys.length > 16) throw badParameter('querystring.groupBy', 'at most 16 keys');
  return keys;
}

/**
 * Reads the points of one metric and evaluates `fn` per group and step. `groupBy` keys are looked up in the
 * point attributes, then the resource attributes; the key `service` means the service name. With no
 * groupBy everything is one series with empty labels.
 */
export async function queryMetric(store: QueryStore, spec: MetricQuerySpec): Promise<MetricQueryResult> {
  const lookbackMs = Math.max(spec.stepMs, BASELINE_LOOKBACK_MS);
  const w = stepWindow(spec.range.startMs, spec.range.endMs, spec.stepMs, lookbackMs);
  const p = new Params();
  const where = [
    `name = ${p.add(spec.name)}`,
    `time_ns >= ${p.ns(w.fetchStartNs)}`,
    `time_ns < ${p.ns(w.endNs)}`,
  ];
  if (spec.service !== undefined) where.push(`service = ${p.add(spec.service)}`);
  for (const a of spec.attrs) where.push(attrCondition(p, a));
  const rows = await store.query<PointRow>(
    `SELECT type, service, scope_name, CAST(attributes AS VARCHAR) AS attributes, CAST(resource AS VARCHAR) AS resource,
       CAST(start_ns AS VARCHAR) AS start_ns, CAST(time_ns AS VARCHAR) AS time_ns, temporality, is_monotonic,
       value, CAST(count AS DOUBLE) AS count, sum,
       CAST(to_json(bounds) AS VARCHAR) AS bounds, CAST(to_json(bucket_counts) AS VARCHAR) AS bucket_counts
     FROM metric_points WHERE ${where.join(' AND ')}
     ORDER BY time_ns LIMIT ${p.add(MAX_POINTS)}`,
    p.values,
  );
  if (rows.length >= MAX_POINTS) {
    throw badParameter(
      'querystring.start',
      `more than ${MAX_POINTS} points of ${spec.name} in the range; narrow the range or filter by service/attr`,
    );
  }
  const type = dominantType(rows);
  if (type === null) return { name: spec.name, type: null, fn: spec.fn, stepMs: spec.stepMs, series: [] };
  const { agg, histogram } = aggregationFor(spec.fn, type);
  const points = rows.filter((r) => r.type === type).map((r) => toPoint(r, spec.groupBy));
  return {
    name: spec.name,
    type,
    fn: spec.fn,
    stepMs: spec.stepMs,
    series: evaluate(points, w, agg, histogram),
  };
}

function dominantType(rows: readonly PointRow[]): string | null {
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
  let best: string | null = null;
  for (const [t, n] of counts) if (best === null || n > (counts.get(best) ?? 0)) best = t;
  return best;
}

function labelValue(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function toPoint(r: PointRow, groupBy: readonly string[]): MetricPoint {
  const attributes = jsonObject(r.attributes);
  const resource = jsonObject(r.resource);
  const labels: Record<string, string> = {};
  for (const key of groupBy) {
    const v = key === 'service' ? r.service : (attributes[key] ?? resource[key]);
    if (v !== undefined && v !== null) labels[key] = labelValue(v);
  }
  const bounds = r.bounds === null ? null : jsonArray(r.bounds).map(num);
  const bucketCounts = r.bucket_counts === null ? null : jsonArray(r.bucket_counts).map(num);
  return {
    seriesKey: [r.service, str(r.scope_name), str(r.resource), str(r.attributes), num(r.temporality)].join(
      '\u0000',
    ),
    labels,
    startNs: BigInt(r.start_ns ?? '0'),
    timeNs: BigInt(r.time_ns),
    temporality: num(r.temporality),
    monotonic: r.is_monotonic === true,
    value: numOrNull(r.value),
    count: numOrNull(r.count),
    sum: numOrNull(r.sum),
    bounds,
    bucketCounts,
  };
}

interface StoredPointRow extends EnvelopeRow {
  name: string;
  description: string | null;
  unit: string | null;
  type: string;
  service: string;
  attributes: unknown;
  resource: unknown;
  scope_name: string | null;
  start_ns: string;
  time_ns: string;
  temporality: unknown;
  is_monotonic: boolean | null;
  value: unknown;
  count: unknown;
  sum: unknown;
  min: unknown;
  max: unknown;
  bounds: string | null;
  bucket_counts: string | null;
  exp_scale: unknown;
  exp_zero_count: unknown;
  exp_pos_offset: unknown;
  exp_pos_counts: string | null;
  exp_neg_offset: unknown;
  exp_neg_counts: string | null;
  quantiles: string | null;
  flags: unknown;
}

export interface MetricPointsSpec {
  name: string;
  range: TimeRange;
  service?: string;
  attrs: AttrFilter[];
  limit: number;
}

const numbers = (text: string | null): number[] => jsonArray(text).map(num);

/** The stored data points of one metric, newest first, with everything OTLP sent for them. */
export async function listMetricPoints(
  store: QueryStore,
  spec: MetricPointsSpec,
): Promise<MetricPointRecord[]> {
  const p = new Params();
  const where = [
    `name = ${p.add(spec.name)}`,
    `time_ns >= ${p.ns(spec.range.startNs)}`,
    `time_ns < ${p.ns(spec.range.endNs)}`,
  ];
  if (spec.service !== undefined) where.push(`service = ${p.add(spec.service)}`);
  for (const a of spec.attrs) where.push(attrCondition(p, a));
  const rows = await store.query<StoredPointRow>(
    `SELECT name, description, unit, type, service, CAST(attributes AS VARCHAR) AS attributes,
       CAST(resource AS VARCHAR) AS resource, scope_name, ${ENVELOPE_COLUMNS},
       CAST(start_ns AS VARCHAR) AS start_ns, CAST(time_ns AS VARCHAR) AS time_ns, temporality, is_monotonic,
       value, CAST(count AS DOUBLE) AS count, sum, min, max,
       CAST(to_json(bounds) AS VARCHAR) AS bounds, CAST(to_json(bucket_counts) AS VARCHAR) AS bucket_counts,
       exp_scale, CAST(exp_zero_count AS DOUBLE) AS exp_zero_count, exp_pos_offset,
       CAST(to_json(exp_pos_counts) AS VARCHAR) AS exp_pos_counts, exp_neg_offset,
       CAST(to_json(exp_neg_counts) AS VARCHAR) AS exp_neg_counts, CAST(quantiles AS VARCHAR) AS quantiles, flags
     FROM metric_points WHERE ${where.join(' AND ')}
     ORDER BY time_ns DESC LIMIT ${p.add(spec.limit)}`,
    p.values,
  );
  return rows.map((r) => ({
    name: r.name,
    description: str(r.description),
    unit: str(r.unit),
    type: r.type,
    service: r.service,
    attributes: jsonObject(r.attributes),
    resource: jsonObject(r.resource),
    scopeName: str(r.scope_name),
    ...toEnvelope(r),
    startTimeUnixNano: r.start_ns,
    timeUnixNano: r.time_ns,
    timeMs: nsToMs(r.time_ns),
    temporality: num(r.temporality),
    isMonotonic: r.is_monotonic,
    value: numOrNull(r.value),
    count: numOrNull(r.count),
    sum: numOrNull(r.sum),
    min: numOrNull(r.min),
    max: numOrNull(r.max),
    bounds: r.bounds === null ? null : numbers(r.bounds),
    bucketCounts: r.bucket_counts === null ? null : numbers(r.bucket_counts),
    exponential:
      r.exp_scale === null
        ? null
        : {
            scale: num(r.exp_scale),
            zeroCount: num(r.exp_zero_count),
            positive: { offset: num(r.exp_pos_offset), bucketCounts: numbers(r.exp_pos_counts) },
            negative: { offset: num(r.exp_neg_offset), bucketCounts: numbers(r.exp_neg_counts) },
          },
    quantiles:
      r.quantiles === null ? null : (jsonArray(r.quantiles) as MetricPointRecord['quantiles'] & object),
    flags: num(r.flags),
  }));
}
