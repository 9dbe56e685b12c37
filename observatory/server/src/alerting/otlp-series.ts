/**
 * Stored OTLP metric points → the series Prometheus would hold for them, so the rules written for a Prometheus
 * that scrapes the services read the same names and labels here: `http.server.request.duration` becomes
 * `http_server_request_duration_bucket{le=…}` (cumulative over `le`), `_count` and `_sum`; a monotonic sum gets
 * `_total`; attribute keys are sanitised (`http.route` → `http_route`); `job` is the service name (the scrape
 * job of connected mode) and `instance` the `service.instance.id`. Delta points are accumulated into
 * cumulative series, as Prometheus's OTLP receiver does.
 */
import type { Labels } from './promql/evaluate.js';

/** The columns of a `metric_points` row the conversion reads (numbers as DuckDB returns them). */
export interface MetricPointInput {
  readonly name: string;
  readonly type: string;
  readonly service: string;
  readonly scopeName: string;
  /** JSON object text. */
  readonly attributes: string;
  /** JSON object text. */
  readonly resource: string;
  readonly timeMs: number;
  /** 1 delta, 2 cumulative (OTLP AggregationTemporality); 0 for gauges. */
  readonly temporality: number;
  readonly isMonotonic: boolean | null;
  readonly value: number | null;
  readonly count: number | null;
  readonly sum: number | null;
  readonly bounds: readonly number[] | null;
  readonly bucketCounts: readonly number[] | null;
}

export interface ConvertedSample {
  readonly labels: Labels;
  readonly t: number;
  readonly v: number;
}

const TEMPORALITY_DELTA = 1;

/** A Prometheus metric or label name for an OpenTelemetry one (invalid characters → `_`). */
export function promName(name: string): string {
  const s = name.replace(/[^a-zA-Z0-9_:]/g, '_');
  return /^[0-9]/.test(s) ? `_${s}` : s;
}

export function promLabelName(name: string): string {
  const s = name.replace(/[^a-zA-Z0-9_]/g, '_');
  return /^[0-9]/.test(s) ? `_${s}` : s;
}

/** The base Prometheus names a selector's metric name may come from (`x_total`, `x_bucket` → `x`). */
export function baseNamesFor(promMetric: string): string[] {
  const out = [promMetric];
  for (const suffix of ['_total', '_bucket', '_count', '_sum']) {
    if (promMetric.endsWith(suffix)) out.push(promMetric.slice(0, -suffix.length));
  }
  return out;
}

function labelValue(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function parseObject(text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** `le` as Prometheus's exporters print a bucket bound. */
function formatBound(b: number): string {
  return b === Number.POSITIVE_INFINITY ? '+Inf' : String(b);
}

export class OtlpSeriesConverter {
  /** Base labels per (service, scope, attributes, resource) text: JSON is parsed once per series. */
  private readonly labelCache = new Map<string, Labels>();
  /** Running totals of delta series, by series key. */
  private readonly deltaTotals = new Map<string, number[]>();

  private baseLabels(p: MetricPointInput): Labels {
    const key = `${p.service}\u0000${p.scopeName}\u0000${p.attributes}\u0000${p.resource}`;
    const cached = this.labelCache.get(key);
    if (cached) return cached;
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries(parseObject(p.attributes))) {
      if (v !== null && v !== undefined) labels[promLabelName(k)] = labelValue(v);
    }
    if (p.scopeName) labels.otel_scope_name = p.scopeName;
    const instance = parseObject(p.resource)['service.instance.id'];
    labels.job = p.service;
    labels.instance = typeof instance === 'string' && instance !== '' ? instance : p.service;
    if (this.labelCache.size > 50_000) this.labelCache.clear();
    this.labelCache.set(key, labels);
    return labels;
  }

  /** Values made cumulative: delta points add to the series' running totals. */
  private cumulative(p: MetricPointInput, base: Labels, values: number[]): number[] {
    if (p.temporality !== TEMPORALITY_DELTA) return values;
    const key = `${p.name}\u0000${JSON.stringify(base)}`;
    const totals = this.deltaTotals.get(key);
    const next = values.map((v, i) => v + (totals?.[i] ?? 0));
    this.deltaTotals.set(key, next);
    return next;
  }

  /** The Prometheus samples of one stored point (none for exponential histograms and summaries). */
  convert(p: MetricPointInput): ConvertedSample[] {
    const base = this.baseLabels(p);
    const name = promName(p.name);
    const t = p.timeMs;
    const sample = (metric: string, v: number, extra?: Labels): ConvertedSample => ({
      labels: { ...base, ...extra, __name__: metric },
      t,
      v,
    });
    if (p.type === 'gauge' || (p.type === 'sum' && p.isMonotonic !== true)) {
      if (p.value === null) return [];
      const [v] = this.cumulative(p, base, [p.value]);
      return [sample(name, v ?? p.value)];
    }
    if (p.type === 'sum') {
      if (p.value === null) return [];
      const [v] = this.cumulative(p, base, [p.value]);
      return [sample(name.endsWith('_total') ? name : `${name}_total`, v ?? p.value)];
    }
    if (p.type === 'histogram') {
      const bounds = p.bounds ?? [];
      const counts = p.bucketCounts ?? [];
      const raw = [p.count ?? 0, p.sum ?? 0, ...counts];
      const [count = 0, sum = 0, ...buckets] = this.cumulative(p, base, raw);
      const out = [sample(`${name}_count`, count), sample(`${name}_sum`, sum)];
      let running = 0;
      for (let i = 0; i < buckets.length; i++) {
        running += buckets[i] ?? 0;
        const le = i < bounds.length ? formatBound(bounds[i] as number) : '+Inf';
        out.push(sample(`${name}_bucket`, running, { le }));
      }
      if (buckets.length === 0) out.push(sample(`${name}_bucket`, count, { le: '+Inf' }));
      return out;
    }
    return [];
  }
}
