/**
 * Pure metric arithmetic: per-series deltas of cumulative and delta points (with counter resets),
 * step windows, aggregation across the series of a group, and quantiles from explicit-bucket histograms.
 */

export const TEMPORALITY_DELTA = 1;
export const TEMPORALITY_CUMULATIVE = 2;

export interface MetricPoint {
  /** Identity of the raw series (service, resource, attributes, temporality). */
  seriesKey: string;
  /** The labels of the output series this point belongs to (the groupBy values). */
  labels: Record<string, string>;
  startNs: bigint;
  timeNs: bigint;
  temporality: number;
  monotonic: boolean;
  value: number | null;
  count: number | null;
  sum: number | null;
  bounds: number[] | null;
  bucketCounts: number[] | null;
}

export interface StepWindow {
  /** Points from here on are read (before startNs only as the baseline for deltas). */
  fetchStartNs: bigint;
  startNs: bigint;
  endNs: bigint;
  stepNs: bigint;
  startMs: number;
  stepMs: number;
  buckets: number;
}

export function stepWindow(startMs: number, endMs: number, stepMs: number, lookbackMs: number): StepWindow {
  const ns = (ms: number) => BigInt(ms) * 1_000_000n;
  return {
    fetchStartNs: ns(startMs - lookbackMs),
    startNs: ns(startMs),
    endNs: ns(endMs),
    stepNs: ns(stepMs),
    startMs,
    stepMs,
    buckets: Math.ceil((endMs - startMs) / stepMs),
  };
}

/** Index of the step bucket holding `timeNs`, or -1 outside the window. */
export function bucketIndex(w: StepWindow, timeNs: bigint): number {
  if (timeNs < w.startNs || timeNs >= w.endNs) return -1;
  return Number((timeNs - w.startNs) / w.stepNs);
}

export type Aggregation =
  | { kind: 'increase'; perSecond: boolean }
  | { kind: 'gauge'; op: 'sum' | 'avg' | 'max' }
  | { kind: 'histogramAvg' }
  | { kind: 'quantile'; q: number };

export interface GroupSeries {
  labels: Record<string, string>;
  points: [number, number | null][];
}

/**
 * The vector a delta is taken of: a sum's value, or a histogram's [count, sum, ...bucketCounts].
 * Returns null when the point lacks what the aggregation needs.
 */
function vectorOf(p: MetricPoint, histogram: boolean): number[] | null {
  if (!histogram) return p.value === null ? null : [p.value];
  if (p.count === null) return null;
  return [p.count, p.sum ?? 0, ...(p.bucketCounts ?? [])];
}

export interface Delta {
  point: MetricPoint;
  vector: number[];
}

/**
 * Deltas of one raw series (points in time order). Delta temporality: each point is already an increase.
 * Cumulative: the difference to the previous point, where a new start time or (for monotonic data) a
 * decrease means the counter restarted and the whole value is the increase. A series' first point counts
 * in full only when the series started inside the read window; otherwise it is just the baseline.
 */
export function seriesDeltas(
  points: readonly MetricPoint[],
  fetchStartNs: bigint,
  histogram: boolean,
): Delta[] {
  const out: Delta[] = [];
  let prev: { point: MetricPoint; vector: number[] } | undefined;
  for (const point of points) {
    const vector = vectorOf(point, histogram);
    if (vector === null) continue;
    if (point.temporality !== TEMPORALITY_CUMULATIVE) {
      out.push({ point, vector });
      continue;
    }
    if (prev === undefined) {
      if (point.startNs > 0n && point.startNs >= fetchStartNs) out.push({ point, vector });
    } else {
      const restarted =
        (point.startNs !== prev.point.startNs && point.startNs > 0n && prev.point.startNs > 0n) ||
        vector.length !== prev.vector.length ||
        ((histogram || point.monotonic) && (vector[0] as number) < (prev.vector[0] as number));
      const before = prev.vector;
      out.push({ point, vector: restarted ? vector : vector.map((v, i) => v - (before[i] as number)) });
    }
    prev = { point, vector };
  }
  return out;
}

/**
 * Quantile estimate from explicit-bucket counts (bucket i holds values in (bounds[i-1], bounds[i]],
 * the last one everything above the last bound), interpolating linearly inside the bucket like
 * Prometheus' histogram_quantile: the first bucket starts at 0 (if its bound is positive), and a rank in
 * the overflow bucket answers the highest finite bound.
 */
export function bucketQuantile(
  q: number,
  bounds: readonly number[],
  counts: readonly number[],
): number | null {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total <= 0 || bounds.length === 0) return null;
  const rank = q * total;
  let cumulative = 0;
  for (let i = 0; i < counts.length; i++) {
    const before = cumulative;
    cumulative += counts[i] as number;
    if (cumulative < rank) continue;
    if (i >= bounds.length) return bounds[bounds.length - 1] as number;
    const upper = bounds[i] as number;
    const lower = i === 0 ? Math.min(upper, 0) : (bounds[i - 1] as number);
    return lower + (upper - lower) * ((rank - before) / (counts[i] as number));
  }
  return bounds[bounds.length - 1] as number;
}

interface GroupState {
  labels: Record<string, string>;
  total: number[];
  n: number[];
  max: number[];
  /** Per bucket, the last value of each raw series (gauge sum). */
  last: Map<string, number>[];
  sums: number[];
  bounds: number[] | null;
  hist: (number[] | null)[];
}

function newGroup(labels: Record<string, string>, buckets: number): GroupState {
  return {
    labels,
    total: new Array<number>(buckets).fill(0),
    n: new Array<number>(buckets).fill(0),
    max: new Array<number>(buckets).fill(Number.NEGATIVE_INFINITY),
    last: Array.from({ length: buckets }, () => new Map<string, number>()),
    sums: new Array<number>(buckets).fill(0),
    bounds: null,
    hist: new Array<number[] | null>(buckets).fill(null),
  };
}

function sameBounds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * Evaluates `agg` over points (any order) into one series per label set, one value per step bucket
 * (null where the bucket holds no data). `histogram` says the points are explicit-bucket histograms.
 */
export function evaluate(
  points: readonly MetricPoint[],
  w: StepWindow,
  agg: Aggregation,
  histogram: boolean,
): GroupSeries[] {
  const bySeries = new Map<string, MetricPoint[]>();
  for (const p of points) {
    const list = bySeries.get(p.seriesKey);
    if (list) list.push(p);
    else bySeries.set(p.seriesKey, [p]);
  }
  const groups = new Map<string, GroupState>();
  const groupOf = (labels: Record<string, string>): GroupState => {
    const key = JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
    let g = groups.get(key);
    if (!g) {
      g = newGroup(labels, w.buckets);
      groups.set(key, g);
    }
    return g;
  };

  for (const [seriesKey, raw] of bySeries) {
    const series = [...raw].sort((a, b) => (a.timeNs < b.timeNs ? -1 : a.timeNs > b.timeNs ? 1 : 0));
    const g = groupOf((series[0] as MetricPoint).labels);
    if (agg.kind === 'gauge') {
      for (const p of series) {
        const i = bucketIndex(w, p.timeNs);
        if (i < 0 || p.value === null) continue;
        g.total[i] = (g.total[i] as number) + p.value;
        g.n[i] = (g.n[i] as number) + 1;
        g.max[i] = Math.max(g.max[i] as number, p.value);
        (g.last[i] as Map<string, number>).set(seriesKey, p.value);
      }
      continue;
    }
    for (const d of seriesDeltas(series, w.fetchStartNs, histogram)) {
      const i = bucketIndex(w, d.point.timeNs);
      if (i < 0) continue;
      g.n[i] = (g.n[i] as number) + 1;
      g.total[i] = (g.total[i] as number) + (d.vector[0] as number);
      if (histogram) g.sums[i] = (g.sums[i] as number) + (d.vector[1] as number);
      if (agg.kind === 'quantile' && d.point.bounds) {
        const counts = d.vector.slice(2);
        if (counts.length !== d.point.bounds.length + 1) continue;
        if (g.bounds === null) g.bounds = d.point.bounds;
        else if (!sameBounds(g.bounds, d.point.bounds)) continue;
        const acc = g.hist[i];
        g.hist[i] = acc ? acc.map((c, k) => c + (counts[k] as number)) : counts;
      }
    }
  }

  const stepSeconds = w.stepMs / 1000;
  const out: GroupSeries[] = [];
  for (const g of groups.values()) {
    const values: (number | null)[] = [];
    for (let i = 0; i < w.buckets; i++) {
      const n = g.n[i] as number;
      if (n === 0) {
        values.push(null);
        continue;
      }
      switch (agg.kind) {
        case 'increase':
          values.push(agg.perSecond ? (g.total[i] as number) / stepSeconds : (g.total[i] as number));
          break;
        case 'gauge':
          if (agg.op === 'avg') values.push((g.total[i] as number) / n);
          else if (agg.op === 'max') values.push(g.max[i] as number);
          else values.push([...(g.last[i] as Map<string, number>).values()].reduce((a, b) => a + b, 0));
          break;
        case 'histogramAvg':
          values.push((g.total[i] as number) > 0 ? (g.sums[i] as number) / (g.total[i] as number) : null);
          break;
        case 'quantile': {
          const counts = g.hist[i];
          values.push(counts && g.bounds ? bucketQuantile(agg.q, g.bounds, counts) : null);
          break;
        }
      }
    }
    out.push({ labels: g.labels, points: values.map((v, i) => [w.startMs + i * w.stepMs, v]) });
  }
  return out.sort((a, b) => JSON.stringify(a.labels).localeCompare(JSON.stringify(b.labels)));
}
