/**
 * The alert evaluator's memory of time series, shaped as Prometheus holds them: a label set (with `__name__`)
 * and samples in time order. Only series some rule reads are kept, and only as long as the longest range that
 * reads them (a retention policy per series, from the rules). Samples older than the dense window are thinned
 * to one per step, keeping the last value before every drop (a counter reset), so day-long windows cost little.
 * Stale markers end a series at once for instant selectors, as Prometheus's do for recording rules.
 */
import type { Matcher } from './promql/ast.js';
import { type Labels, matches, type Series, type SeriesSource, signature } from './promql/evaluate.js';

export interface RetentionPolicy {
  /** Samples older than this (from the newest evaluation time) are dropped. */
  readonly keepMs: number;
  /** Samples newer than this are all kept; older ones are thinned to `sparseStepMs`. */
  readonly denseMs: number;
  readonly sparseStepMs: number;
}

class SeriesEntry {
  private ts: number[] = [];
  private vs: number[] = [];
  /** 1 where the sample is a stale marker. */
  private st: number[] = [];
  /** Samples before this index are already thinned. */
  private thinned = 0;

  constructor(
    readonly labels: Labels,
    readonly policy: RetentionPolicy,
  ) {}

  get size(): number {
    return this.ts.length;
  }

  get lastT(): number {
    return this.ts.length > 0 ? (this.ts[this.ts.length - 1] as number) : Number.NEGATIVE_INFINITY;
  }

  get isStale(): boolean {
    return this.st.length > 0 && this.st[this.st.length - 1] === 1;
  }

  push(t: number, v: number, stale: boolean): boolean {
    if (t <= this.lastT) return false;
    this.ts.push(t);
    this.vs.push(v);
    this.st.push(stale ? 1 : 0);
    return true;
  }

  /** First index with `t >= from`. */
  private lowerBound(from: number): number {
    let lo = 0;
    let hi = this.ts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.ts[mid] as number) < from) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** First index with `t > to`. */
  private upperBound(to: number): number {
    let lo = 0;
    let hi = this.ts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.ts[mid] as number) <= to) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  range(from: number, to: number): Series | null {
    const samples: Array<{ t: number; v: number }> = [];
    for (let i = this.lowerBound(from); i < this.ts.length && (this.ts[i] as number) <= to; i++) {
      if (this.st[i] === 0) samples.push({ t: this.ts[i] as number, v: this.vs[i] as number });
    }
    return samples.length > 0 ? { labels: this.labels, samples } : null;
  }

  /** The newest sample in [from, to], unless it is a stale marker. */
  instant(from: number, to: number): Series | null {
    const i = this.upperBound(to) - 1;
    if (i < 0 || (this.ts[i] as number) < from || this.st[i] === 1) return null;
    return { labels: this.labels, samples: [{ t: this.ts[i] as number, v: this.vs[i] as number }] };
  }

  /** Drops what the policy no longer needs at `now`; returns how many samples are left. */
  compact(now: number): number {
    const { keepMs, denseMs, sparseStepMs } = this.policy;
    const keepFrom = now - keepMs;
    const denseFrom = now - denseMs;
    const start = this.lowerBound(keepFrom);
    const denseStart = Math.max(start, this.lowerBound(denseFrom));
    // The newest sample always stays (instant selectors read it).
    const thinEnd = Math.min(denseStart, this.ts.length - 1);
    const from = Math.max(start, this.thinned);
    if (start === 0 && thinEnd <= from) return this.ts.length;
    const ts: number[] = [];
    const vs: number[] = [];
    const st: number[] = [];
    const keep = (i: number) => {
      ts.push(this.ts[i] as number);
      vs.push(this.vs[i] as number);
      st.push(this.st[i] as number);
    };
    for (let i = start; i < from; i++) keep(i);
    let lastKept = ts.length > 0 ? (ts[ts.length - 1] as number) : Number.NEGATIVE_INFINITY;
    for (let i = from; i < thinEnd; i++) {
      const t = this.ts[i] as number;
      const next = this.vs[i + 1] as number;
      const beforeDrop = next < (this.vs[i] as number);
      if (t - lastKept >= sparseStepMs || beforeDrop || this.st[i] === 1 || this.st[i + 1] === 1) {
        keep(i);
        lastKept = t;
      }
    }
    const thinned = ts.length;
    for (let i = Math.max(thinEnd, from); i < this.ts.length; i++) keep(i);
    this.ts = ts;
    this.vs = vs;
    this.st = st;
    this.thinned = thinned;
    return ts.length;
  }
}

/** Decides whether (and how long) a series is kept; null: no rule reads it. */
export type PolicyFor = (labels: Labels) => RetentionPolicy | null;

export class SeriesStore implements SeriesSource {
  private readonly byName = new Map<string, Map<string, SeriesEntry>>();
  /** Label sets no rule reads, remembered so they are not matched again (bounded). */
  private readonly ignored = new Set<string>();

  constructor(private readonly policyFor: PolicyFor) {}

  private entry(labels: Labels, create: boolean): SeriesEntry | undefined {
    const name = labels.__name__ ?? '';
    const key = signature(labels);
    let series = this.byName.get(name);
    const found = series?.get(key);
    if (found || !create) return found;
    const ignoredKey = `${name}\u0002${key}`;
    if (this.ignored.has(ignoredKey)) return undefined;
    const policy = this.policyFor(labels);
    if (!policy) {
      if (this.ignored.size > 100_000) this.ignored.clear();
      this.ignored.add(ignoredKey);
      return undefined;
    }
    if (!series) {
      series = new Map();
      this.byName.set(name, series);
    }
    const entry = new SeriesEntry(labels, policy);
    series.set(key, entry);
    return entry;
  }

  /** Appends a sample; false when no rule reads the series or the sample is not newer than the last. */
  append(labels: Labels, t: number, v: number): boolean {
    return this.entry(labels, true)?.push(t, v, false) ?? false;
  }

  /** Ends the series at `t` (instant selectors stop seeing it), unless it is already ended. */
  markStale(labels: Labels, t: number): void {
    const e = this.entry(labels, false);
    if (e && !e.isStale) e.push(t, Number.NaN, true);
  }

  private candidates(matchers: readonly Matcher[]): Iterable<SeriesEntry> {
    const byName = matchers.find((m) => m.name === '__name__' && m.op === '=');
    if (byName) return this.byName.get(byName.value)?.values() ?? [];
    return [...this.byName.values()].flatMap((m) => [...m.values()]);
  }

  select(matchers: readonly Matcher[], from: number, to: number, instant = false): Series[] {
    const out: Series[] = [];
    for (const e of this.candidates(matchers)) {
      if (!matches(e.labels, matchers)) continue;
      const s = instant ? e.instant(from, to) : e.range(from, to);
      if (s) out.push(s);
    }
    return out;
  }

  /** Applies every series' retention at `now`; series left empty are forgotten. */
  compact(now: number): void {
    for (const [name, series] of this.byName) {
      for (const [key, e] of series) if (e.compact(now) === 0) series.delete(key);
      if (series.size === 0) this.byName.delete(name);
    }
  }

  get stats(): { series: number; samples: number } {
    let series = 0;
    let samples = 0;
    for (const m of this.byName.values()) {
      series += m.size;
      for (const e of m.values()) samples += e.size;
    }
    return { series, samples };
  }
}
