/**
 * Evaluates the PromQL subset of ast.ts at one instant, with Prometheus's semantics where they matter for
 * alerting: 5-minute lookback for instant selectors, closed ranges, `rate`/`increase` extrapolation and
 * counter resets (promql/functions.go extrapolatedRate), `deriv` (the least-squares slope, per second, of a
 * gauge: promql/functions.go linearRegression), `histogram_quantile` over classic buckets, one-to-one
 * vector matching, `and`/`or`/`unless`, aggregations dropping the metric name.
 */
import type { Expr, Matcher } from './ast.js';

export type Labels = Readonly<Record<string, string>>;
export interface Sample {
  readonly t: number;
  readonly v: number;
}
export interface Series {
  readonly labels: Labels;
  readonly samples: readonly Sample[];
}
export interface VectorSample {
  readonly labels: Labels;
  readonly value: number;
}
export type Value = { kind: 'scalar'; value: number } | { kind: 'vector'; samples: VectorSample[] };

/**
 * Where the series come from: samples with `from <= t <= to`, oldest first. `instant`: for an instant selector,
 * where only the newest sample counts and a series ended by a stale marker is left out.
 */
export interface SeriesSource {
  select(matchers: readonly Matcher[], fromMs: number, toMs: number, instant?: boolean): Series[];
}

export const LOOKBACK_MS = 5 * 60_000;

const regexCache = new Map<string, RegExp>();
function fullMatch(pattern: string, value: string): boolean {
  let re = regexCache.get(pattern);
  if (!re) {
    re = new RegExp(`^(?:${pattern})$`);
    regexCache.set(pattern, re);
  }
  return re.test(value);
}

export function matches(labels: Labels, matchers: readonly Matcher[]): boolean {
  return matchers.every((m) => {
    const v = labels[m.name] ?? '';
    switch (m.op) {
      case '=':
        return v === m.value;
      case '!=':
        return v !== m.value;
      case '=~':
        return fullMatch(m.value, v);
      case '!~':
        return !fullMatch(m.value, v);
      default:
        return false;
    }
  });
}

function withoutName(labels: Labels): Record<string, string> {
  const { __name__: _n, ...rest } = labels;
  return rest;
}

export function signature(labels: Labels, names?: readonly string[], on = true): string {
  const keys = Object.keys(labels)
    .filter((k) => k !== '__name__' && (names === undefined || names.includes(k) === on))
    .sort();
  return keys.map((k) => `${k}\u0000${labels[k]}`).join('\u0001');
}

/**
 * Prometheus's `deriv`: the slope of the least-squares line through the samples, per second; null with fewer
 * than two. Times are taken from the first sample (Prometheus does so to keep the sums precise); a constant
 * series has slope 0.
 */
function derivative(samples: readonly Sample[]): number | null {
  if (samples.length < 2) return null;
  const t0 = (samples[0] as Sample).t;
  const y0 = (samples[0] as Sample).v;
  if (samples.every((s) => s.v === y0)) return 0;
  let n = 0;
  let sumX = 0;
  let sumY = 0;
  let sumXY = 0;
  let sumX2 = 0;
  for (const s of samples) {
    const x = (s.t - t0) / 1000;
    n += 1;
    sumX += x;
    sumY += s.v;
    sumXY += x * s.v;
    sumX2 += x * x;
  }
  const covXY = sumXY - (sumX * sumY) / n;
  const varX = sumX2 - (sumX * sumX) / n;
  return covXY / varX;
}

function extrapolatedRate(
  samples: readonly Sample[],
  start: number,
  end: number,
  isRate: boolean,
): number | null {
  if (samples.length < 2) return null;
  const first = samples[0] as Sample;
  const last = samples[samples.length - 1] as Sample;
  let result = last.v - first.v;
  for (let i = 1; i < samples.length; i++) {
    const prev = samples[i - 1] as Sample;
    if ((samples[i] as Sample).v < prev.v) result += prev.v;
  }
  let durationToStart = (first.t - start) / 1000;
  const durationToEnd = (end - last.t) / 1000;
  const sampled = (last.t - first.t) / 1000;
  const average = sampled / (samples.length - 1);
  if (result > 0 && first.v >= 0) {
    const durationToZero = sampled * (first.v / result);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  const threshold = average * 1.1;
  let interval = sampled;
  interval += durationToStart < threshold ? durationToStart : average / 2;
  interval += durationToEnd < threshold ? durationToEnd : average / 2;
  result *= interval / sampled;
  if (isRate) result /= (end - start) / 1000;
  return result;
}

function bucketQuantile(q: number, buckets: Array<{ upper: number; count: number }>): number {
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  buckets.sort((a, b) => a.upper - b.upper);
  if (buckets.length < 2 || (buckets[buckets.length - 1] as { upper: number }).upper !== Infinity)
    return Number.NaN;
  // Coalesce equal bounds and make the counts monotonic, as Prometheus does.
  const merged: Array<{ upper: number; count: number }> = [];
  for (const b of buckets) {
    const last = merged[merged.length - 1];
    if (last && last.upper === b.upper) last.count += b.count;
    else merged.push({ ...b });
  }
  let max = -Infinity;
  for (const b of merged) {
    max = Math.max(max, b.count);
    b.count = max;
  }
  const total = (merged[merged.length - 1] as { count: number }).count;
  if (total === 0) return Number.NaN;
  let rank = q * total;
  let i = merged.findIndex((b) => b.count >= rank);
  if (i === -1) i = merged.length - 1;
  if (i === merged.length - 1) return (merged[merged.length - 2] as { upper: number }).upper;
  const b = merged[i] as { upper: number; count: number };
  if (i === 0 && b.upper <= 0) return b.upper;
  let bucketStart = 0;
  let count = b.count;
  if (i > 0) {
    const prev = merged[i - 1] as { upper: number; count: number };
    bucketStart = prev.upper;
    count -= prev.count;
    rank -= prev.count;
  }
  return bucketStart + (b.upper - bucketStart) * (rank / count);
}

const COMPARISON = new Set(['==', '!=', '>', '<', '>=', '<=']);

function arith(op: string, a: number, b: number): number {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return a / b;
    case '==':
      return a === b ? 1 : 0;
    case '!=':
      return a !== b ? 1 : 0;
    case '>':
      return a > b ? 1 : 0;
    case '<':
      return a < b ? 1 : 0;
    case '>=':
      return a >= b ? 1 : 0;
    case '<=':
      return a <= b ? 1 : 0;
    default:
      throw new Error(`operator ${op}`);
  }
}

export function evaluate(expr: Expr, t: number, source: SeriesSource): Value {
  const vector = (e: Expr): VectorSample[] => {
    const v = evaluate(e, t, source);
    if (v.kind !== 'vector') throw new Error('expected an instant vector');
    return v.samples;
  };
  const scalar = (e: Expr): number => {
    const v = evaluate(e, t, source);
    if (v.kind !== 'scalar') throw new Error('expected a scalar');
    return v.value;
  };
  switch (expr.kind) {
    case 'number':
      return { kind: 'scalar', value: expr.value };
    case 'string':
      throw new Error('a string is no value');
    case 'neg': {
      const v = evaluate(expr.expr, t, source);
      return v.kind === 'scalar'
        ? { kind: 'scalar', value: -v.value }
        : {
            kind: 'vector',
            samples: v.samples.map((s) => ({ labels: withoutName(s.labels), value: -s.value })),
          };
    }
    case 'vector': {
      const out: VectorSample[] = [];
      for (const s of source.select(expr.matchers, t - LOOKBACK_MS + 1, t, true)) {
        const last = s.samples[s.samples.length - 1];
        if (last) out.push({ labels: s.labels, value: last.v });
      }
      return { kind: 'vector', samples: out };
    }
    case 'matrix':
      throw new Error('a range vector needs a function');
    case 'call':
      return call(expr.fn, expr.args, t, source, vector, scalar);
    case 'aggregate': {
      const groups = new Map<string, { labels: Record<string, string>; values: number[] }>();
      for (const s of vector(expr.expr)) {
        const base = withoutName(s.labels);
        const labels: Record<string, string> = {};
        for (const [k, v] of Object.entries(base)) {
          if (expr.grouping.includes(k) !== expr.without) labels[k] = v;
        }
        const key = signature(labels);
        const g = groups.get(key) ?? { labels, values: [] };
        g.values.push(s.value);
        groups.set(key, g);
      }
      const samples = [...groups.values()].map((g) => {
        const vs = g.values;
        const value =
          expr.op === 'sum'
            ? vs.reduce((a, b) => a + b, 0)
            : expr.op === 'max'
              ? Math.max(...vs)
              : expr.op === 'min'
                ? Math.min(...vs)
                : expr.op === 'avg'
                  ? vs.reduce((a, b) => a + b, 0) / vs.length
                  : vs.length;
        return { labels: g.labels, value };
      });
      return { kind: 'vector', samples };
    }
    case 'binary': {
      const l = evaluate(expr.lhs, t, source);
      const r = evaluate(expr.rhs, t, source);
      const comparison = COMPARISON.has(expr.op);
      if (l.kind === 'scalar' && r.kind === 'scalar')
        return { kind: 'scalar', value: arith(expr.op, l.value, r.value) };
      if (expr.op === 'and' || expr.op === 'or' || expr.op === 'unless') {
        if (l.kind !== 'vector' || r.kind !== 'vector') throw new Error(`${expr.op} needs two vectors`);
        const sig = (s: VectorSample) =>
          signature(s.labels, expr.matching?.labels, expr.matching?.on ?? true);
        const right = new Set(r.samples.map(sig));
        if (expr.op === 'and') return { kind: 'vector', samples: l.samples.filter((s) => right.has(sig(s))) };
        if (expr.op === 'unless')
          return { kind: 'vector', samples: l.samples.filter((s) => !right.has(sig(s))) };
        const left = new Set(l.samples.map(sig));
        return { kind: 'vector', samples: [...l.samples, ...r.samples.filter((s) => !left.has(sig(s)))] };
      }
      const result = (labels: Labels, a: number, b: number, keep: number): VectorSample | null => {
        const v = arith(expr.op, a, b);
        if (comparison && !expr.bool) return v === 1 ? { labels, value: keep } : null;
        return { labels: withoutName(labels), value: v };
      };
      if (l.kind === 'vector' && r.kind === 'scalar') {
        return {
          kind: 'vector',
          samples: l.samples.flatMap((s) => result(s.labels, s.value, r.value, s.value) ?? []),
        };
      }
      if (l.kind === 'scalar' && r.kind === 'vector') {
        return {
          kind: 'vector',
          samples: r.samples.flatMap((s) => result(s.labels, l.value, s.value, s.value) ?? []),
        };
      }
      if (l.kind === 'vector' && r.kind === 'vector') {
        const sig = (s: VectorSample) =>
          expr.matching ? signature(s.labels, expr.matching.labels, expr.matching.on) : signature(s.labels);
        const right = new Map<string, VectorSample>();
        for (const s of r.samples) right.set(sig(s), s);
        const out: VectorSample[] = [];
        for (const s of l.samples) {
          const m = right.get(sig(s));
          if (!m) continue;
          let labels: Labels = s.labels;
          if (expr.matching?.on) {
            const kept: Record<string, string> = {};
            for (const k of expr.matching.labels)
              if (s.labels[k] !== undefined) kept[k] = s.labels[k] as string;
            labels = kept;
          } else if (expr.matching) {
            labels = Object.fromEntries(
              Object.entries(s.labels).filter(([k]) => !expr.matching?.labels.includes(k)),
            );
          }
          const v = result(labels, s.value, m.value, s.value);
          if (v) out.push(v);
        }
        return { kind: 'vector', samples: out };
      }
      throw new Error('bad operands');
    }
  }
}

function call(
  fn: string,
  args: readonly Expr[],
  t: number,
  source: SeriesSource,
  vector: (e: Expr) => VectorSample[],
  scalar: (e: Expr) => number,
): Value {
  const range = (e: Expr | undefined) => {
    if (!e || e.kind !== 'matrix') throw new Error(`${fn} needs a range vector`);
    return { series: source.select(e.matchers, t - e.rangeMs, t), start: t - e.rangeMs, end: t };
  };
  switch (fn) {
    case 'vector':
      return { kind: 'vector', samples: [{ labels: {}, value: scalar(args[0] as Expr) }] };
    case 'abs':
      return {
        kind: 'vector',
        samples: vector(args[0] as Expr).map((s) => ({
          labels: withoutName(s.labels),
          value: Math.abs(s.value),
        })),
      };
    case 'rate':
    case 'increase': {
      const { series, start, end } = range(args[0]);
      const samples = series.flatMap((s) => {
        const v = extrapolatedRate(s.samples, start, end, fn === 'rate');
        return v === null ? [] : [{ labels: withoutName(s.labels), value: v }];
      });
      return { kind: 'vector', samples };
    }
    case 'deriv': {
      const { series } = range(args[0]);
      const samples = series.flatMap((s) => {
        const slope = derivative(s.samples);
        return slope === null ? [] : [{ labels: withoutName(s.labels), value: slope }];
      });
      return { kind: 'vector', samples };
    }
    case 'avg_over_time':
    case 'max_over_time': {
      const { series } = range(args[0]);
      const samples = series.flatMap((s) => {
        if (s.samples.length === 0) return [];
        const vs = s.samples.map((x) => x.v);
        const value = fn === 'max_over_time' ? Math.max(...vs) : vs.reduce((a, b) => a + b, 0) / vs.length;
        return [{ labels: withoutName(s.labels), value }];
      });
      return { kind: 'vector', samples };
    }
    case 'histogram_quantile': {
      const q = scalar(args[0] as Expr);
      const groups = new Map<
        string,
        { labels: Record<string, string>; buckets: Array<{ upper: number; count: number }> }
      >();
      for (const s of vector(args[1] as Expr)) {
        const le = s.labels.le;
        if (le === undefined) continue;
        const { le: _le, ...rest } = withoutName(s.labels);
        const key = signature(rest);
        const g = groups.get(key) ?? { labels: rest, buckets: [] };
        g.buckets.push({ upper: le === '+Inf' ? Infinity : Number(le), count: s.value });
        groups.set(key, g);
      }
      return {
        kind: 'vector',
        samples: [...groups.values()].map((g) => ({ labels: g.labels, value: bucketQuantile(q, g.buckets) })),
      };
    }
    default:
      throw new Error(`function ${fn}`);
  }
}
