/** The three kinds of item the observatory ingests. */
export type Signal = 'spans' | 'logs' | 'metricPoints';

export const SIGNALS: readonly Signal[] = ['spans', 'logs', 'metricPoints'];

export type SignalCounts = Record<Signal, number>;

/**
 * `GET /api/self` body (the contract's shape plus a few extra fields).
 *
 * - `accepted`: items validated and queued for the store (answered 200).
 * - `rejected`: items refused as invalid — the rejected count of partial successes plus, for
 *   requests refused whole with 4xx (malformed, oversize, wrong type), the items they held when
 *   countable (0 when the payload could not be decoded); those requests are in `rejectedRequests`.
 * - `dropped`: items not stored although well-formed — refused by back-pressure (429 /
 *   RESOURCE_EXHAUSTED, the client may retry) or lost because a store write failed.
 * - `evicted`: rows deleted by retention (age or bytes).
 * - rates are accepted items per second over the last `rateWindowSec` seconds.
 */
export interface SelfSnapshot {
  ingest: {
    spansPerSec: number;
    logsPerSec: number;
    metricPointsPerSec: number;
    accepted: SignalCounts;
    rejected: SignalCounts;
    dropped: SignalCounts;
    rejectedRequests: SignalCounts;
    throttledRequests: SignalCounts;
  };
  queueDepth: number;
  queueBytes: number;
  queueLimit: { rows: number; bytes: number };
  storeBytes: number;
  storeFileBytes: number;
  storeMaxBytes: number;
  retentionHours: number;
  evicted: SignalCounts;
  queryLatencyMs: { p50: number | null; p95: number | null; samples: number };
  rateWindowSec: number;
  uptimeSec: number;
}

/** Live values the stats object reads when a snapshot is taken. */
export interface SelfStatsSources {
  queueDepth?: () => number;
  queueBytes?: () => number;
  queueLimit?: () => { rows: number; bytes: number };
  storeFileBytes?: () => number;
  storeMaxBytes?: number;
  retentionHours?: number;
}

const zero = (): SignalCounts => ({ spans: 0, logs: 0, metricPoints: 0 });

/** Per-second buckets over a sliding window, for ingest rates. */
class RateWindow {
  private readonly buckets: SignalCounts[];
  private readonly seconds: number[];

  constructor(readonly windowSec: number) {
    this.buckets = Array.from({ length: windowSec }, zero);
    this.seconds = Array.from({ length: windowSec }, () => -1);
  }

  add(signal: Signal, n: number, nowMs: number): void {
    const sec = Math.floor(nowMs / 1000);
    const i = sec % this.windowSec;
    if (this.seconds[i] !== sec) {
      this.seconds[i] = sec;
      this.buckets[i] = zero();
    }
    this.buckets[i]![signal] += n;
  }

  /** Items per second over the window (the current, partial second included). */
  rate(signal: Signal, nowMs: number, sinceMs: number): number {
    const sec = Math.floor(nowMs / 1000);
    let total = 0;
    for (let i = 0; i < this.windowSec; i++) {
      const s = this.seconds[i]!;
      if (s >= 0 && sec - s < this.windowSec) total += this.buckets[i]![signal];
    }
    // Do not divide a young process's counts by the full window.
    const elapsedSec = Math.min(this.windowSec, Math.max(1, (nowMs - sinceMs) / 1000));
    return total / elapsedSec;
  }
}

/** A ring of recent latency samples with percentiles computed on demand. */
class LatencySamples {
  private readonly ring: Float64Array;
  private n = 0;
  private next = 0;

  constructor(capacity: number) {
    this.ring = new Float64Array(capacity);
  }

  add(ms: number): void {
    this.ring[this.next] = ms;
    this.next = (this.next + 1) % this.ring.length;
    if (this.n < this.ring.length) this.n++;
  }

  get count(): number {
    return this.n;
  }

  percentile(p: number): number | null {
    if (this.n === 0) return null;
    const sorted = Array.from(this.ring.subarray(0, this.n)).sort((a, b) => a - b);
    const idx = Math.min(this.n - 1, Math.max(0, Math.ceil((p / 100) * this.n) - 1));
    return Math.round(sorted[idx]! * 1000) / 1000;
  }
}

/**
 * Self-observability of the observatory: counters per signal, ingest rates, queue depth, store
 * size and query latency. The ingest side records; the query layer reads `snapshot()` (and may
 * record its handler latencies with `recordQueryLatency`).
 */
export class SelfStats {
  readonly accepted = zero();
  readonly rejected = zero();
  readonly dropped = zero();
  readonly rejectedRequests = zero();
  readonly throttledRequests = zero();
  readonly evicted = zero();
  private readonly rates: RateWindow;
  private readonly latencies = new LatencySamples(2048);
  private readonly startedMs = Date.now();
  private storeBytesValue = 0;
  private sources: SelfStatsSources;

  constructor(sources: SelfStatsSources = {}, rateWindowSec = 10) {
    this.sources = sources;
    this.rates = new RateWindow(rateWindowSec);
  }

  /** Connects live sources (queue, store) after construction. */
  attach(sources: SelfStatsSources): void {
    this.sources = { ...this.sources, ...sources };
  }

  recordAccepted(signal: Signal, n: number): void {
    if (n <= 0) return;
    this.accepted[signal] += n;
    this.rates.add(signal, n, Date.now());
  }

  recordRejected(signal: Signal, n: number): void {
    this.rejected[signal] += n;
  }

  /** A whole request refused as bad data (4xx); `items` is how many it held, if known. */
  recordRejectedRequest(signal: Signal, items = 0): void {
    this.rejectedRequests[signal] += 1;
    this.rejected[signal] += items;
  }

  /** A request refused by back-pressure; its items count as dropped. */
  recordThrottled(signal: Signal, items: number): void {
    this.throttledRequests[signal] += 1;
    this.dropped[signal] += items;
  }

  recordDropped(signal: Signal, n: number): void {
    this.dropped[signal] += n;
  }

  recordEvicted(counts: SignalCounts): void {
    for (const s of SIGNALS) this.evicted[s] += counts[s];
  }

  /** Last measured store size (the retention loop refreshes it). */
  setStoreBytes(bytes: number): void {
    this.storeBytesValue = bytes;
  }

  get storeBytes(): number {
    return this.storeBytesValue;
  }

  recordQueryLatency(ms: number): void {
    this.latencies.add(ms);
  }

  snapshot(): SelfSnapshot {
    const now = Date.now();
    const round = (x: number) => Math.round(x * 10) / 10;
    return {
      ingest: {
        spansPerSec: round(this.rates.rate('spans', now, this.startedMs)),
        logsPerSec: round(this.rates.rate('logs', now, this.startedMs)),
        metricPointsPerSec: round(this.rates.rate('metricPoints', now, this.startedMs)),
        accepted: { ...this.accepted },
        rejected: { ...this.rejected },
        dropped: { ...this.dropped },
        rejectedRequests: { ...this.rejectedRequests },
        throttledRequests: { ...this.throttledRequests },
      },
      queueDepth: this.sources.queueDepth?.() ?? 0,
      queueBytes: this.sources.queueBytes?.() ?? 0,
      queueLimit: this.sources.queueLimit?.() ?? { rows: 0, bytes: 0 },
      storeBytes: this.storeBytesValue,
      storeFileBytes: this.sources.storeFileBytes?.() ?? 0,
      storeMaxBytes: this.sources.storeMaxBytes ?? 0,
      retentionHours: this.sources.retentionHours ?? 0,
      evicted: { ...this.evicted },
      queryLatencyMs: {
        p50: this.latencies.percentile(50),
        p95: this.latencies.percentile(95),
        samples: this.latencies.count,
      },
      rateWindowSec: this.rates.windowSec,
      uptimeSec: Math.round((now - this.startedMs) / 1000),
    };
  }
}
