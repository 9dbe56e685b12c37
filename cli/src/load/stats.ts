/** Outcome of one request: an HTTP status, or why there was none (`network`, `timeout`, `aborted`, …). */
export type Outcome = number | string;

export function isOk(outcome: Outcome): boolean {
  return typeof outcome === 'number' && outcome >= 200 && outcome < 400;
}

/** Nearest-rank quantile of ascending `sorted` values; NaN when empty. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(q * sorted.length);
  const index = Math.min(sorted.length - 1, Math.max(0, rank - 1));
  return sorted[index] ?? Number.NaN;
}

export interface StepSummary {
  readonly step: string;
  readonly count: number;
  readonly ok: number;
  /** Failed requests by HTTP status or `network`/`timeout`/`aborted`. */
  readonly errors: Record<string, number>;
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
  readonly p99Ms: number | null;
  readonly meanMs: number | null;
  readonly maxMs: number | null;
}

function round(value: number): number | null {
  return Number.isFinite(value) ? Math.round(value * 10) / 10 : null;
}

/** Latencies and outcomes of one step (every sample kept: runs are bounded in count and time). */
export class StepStats {
  readonly step: string;
  private readonly durations: number[] = [];
  private okCount = 0;
  private readonly errors = new Map<string, number>();

  constructor(step: string) {
    this.step = step;
  }

  record(durationMs: number, outcome: Outcome): void {
    this.durations.push(durationMs);
    if (isOk(outcome)) this.okCount += 1;
    else this.errors.set(String(outcome), (this.errors.get(String(outcome)) ?? 0) + 1);
  }

  get count(): number {
    return this.durations.length;
  }

  summary(): StepSummary {
    const sorted = [...this.durations].sort((a, b) => a - b);
    const sum = sorted.reduce((acc, v) => acc + v, 0);
    return {
      step: this.step,
      count: sorted.length,
      ok: this.okCount,
      errors: Object.fromEntries([...this.errors.entries()].sort(([a], [b]) => a.localeCompare(b))),
      p50Ms: round(quantile(sorted, 0.5)),
      p95Ms: round(quantile(sorted, 0.95)),
      p99Ms: round(quantile(sorted, 0.99)),
      meanMs: sorted.length > 0 ? round(sum / sorted.length) : null,
      maxMs: sorted.length > 0 ? round(sorted[sorted.length - 1] ?? Number.NaN) : null,
    };
  }
}

/** Samples of the last `windowMs`, for the live progress line. */
export class SlidingWindow {
  private readonly windowMs: number;
  private samples: Array<{ at: number; value: number }> = [];

  constructor(windowMs: number) {
    this.windowMs = windowMs;
  }

  add(value: number, at = Date.now()): void {
    this.samples.push({ at, value });
  }

  values(now = Date.now()): number[] {
    const from = now - this.windowMs;
    if (this.samples.length > 0 && (this.samples[0]?.at ?? now) < from) {
      this.samples = this.samples.filter((s) => s.at >= from);
    }
    return this.samples.map((s) => s.value);
  }

  /** Events per second over the window. */
  rate(now = Date.now()): number {
    return this.values(now).length / (this.windowMs / 1000);
  }
}

/** A small deterministic PRNG (mulberry32), so `--seed` makes a run's choices reproducible. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
