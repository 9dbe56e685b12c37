/** Latency of the query handlers over the last `capacity` requests (a ring buffer), for /api/self. */
export class LatencyTracker {
  private readonly samples: Float64Array;
  private next = 0;
  private size = 0;
  private total = 0;

  constructor(readonly capacity = 1024) {
    this.samples = new Float64Array(capacity);
  }

  record(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    this.samples[this.next] = ms;
    this.next = (this.next + 1) % this.capacity;
    this.size = Math.min(this.size + 1, this.capacity);
    this.total++;
  }

  /** Nearest-rank percentiles of the window; null when nothing was recorded. */
  snapshot(): { p50: number | null; p95: number | null; count: number } {
    if (this.size === 0) return { p50: null, p95: null, count: 0 };
    const sorted = this.samples.slice(0, this.size).sort();
    const at = (q: number) =>
      sorted[Math.min(this.size - 1, Math.max(0, Math.ceil(q * this.size) - 1))] as number;
    return { p50: at(0.5), p95: at(0.95), count: this.total };
  }
}
