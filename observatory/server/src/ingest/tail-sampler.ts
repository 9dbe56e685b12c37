/**
 * Tail-based sampling of traces (`OBSERVATORY_TAIL_SAMPLING=true`): spans are held per trace until the trace is
 * complete — no new span for `idleMs` — and then the whole trace is kept or dropped:
 *   - kept if any span has status ERROR,
 *   - kept if it lasted at least `latencyMs` (first span start to last span end),
 *   - otherwise kept with probability `keepRatio`, decided on the trace id (the same trace gets the same answer
 *     in every observatory and on every run).
 * A span arriving after its trace was decided follows the decision (a bounded memory of recent decisions);
 * after that memory has forgotten it, it starts a new buffered trace.
 *
 * Limits: "complete" is a guess (a trace quiet for `idleMs`); a trace whose spans arrive further apart is decided
 * in pieces. Memory is bounded by `maxSpans`: past it the oldest traces are decided early. Logs and metrics are
 * not sampled. The OpenTelemetry Collector's `tail_sampling` processor does the same in cluster mode
 * (deploy/collector/tail-sampling.yaml): decision_wait ≈ idleMs, the status_code, latency and probabilistic
 * policies.
 */
import type { SpanRow } from '../store/types.js';

export interface TailSamplingSettings {
  /** A trace with no new span for this long is complete and decided. */
  idleMs: number;
  /** Traces at least this long are kept. */
  latencyMs: number;
  /** Share of the other traces kept, 0..1. */
  keepRatio: number;
  /** Spans held at most; past it the oldest traces are decided at once. */
  maxSpans: number;
}

export const DEFAULT_TAIL_SAMPLING: TailSamplingSettings = {
  idleMs: 5_000,
  latencyMs: 1_000,
  keepRatio: 0.1,
  maxSpans: 200_000,
};

export type KeepReason = 'error' | 'latency' | 'ratio';

export interface TailSamplerStats {
  bufferedTraces: number;
  bufferedSpans: number;
  tracesKept: Record<KeepReason, number>;
  tracesDropped: number;
  spansKept: number;
  spansDropped: number;
}

interface Pending {
  spans: SpanRow[];
  lastSeenMs: number;
  startNs: bigint;
  endNs: bigint;
  error: boolean;
}

const STATUS_ERROR = 2;
const DECISIONS_REMEMBERED = 100_000;

/** The trace id's last 8 hex digits as a fraction of 2^32: the same trace, the same draw. */
export function traceIdFraction(traceId: string): number {
  const tail = Number.parseInt(traceId.slice(-8), 16);
  return Number.isFinite(tail) ? tail / 0x1_0000_0000 : 0;
}

export class TailSampler {
  private readonly pending = new Map<string, Pending>();
  private readonly decided = new Map<string, boolean>();
  private spans = 0;
  private readonly kept: Record<KeepReason, number> = { error: 0, latency: 0, ratio: 0 };
  private tracesDropped = 0;
  private spansKept = 0;
  private spansDropped = 0;

  /**
   * @param emit receives the spans of kept traces (the write queue); false when it cannot take them now, and
   *   they are offered again at the next sweep.
   */
  constructor(
    readonly settings: TailSamplingSettings,
    private readonly emit: (spans: SpanRow[]) => boolean,
    private readonly nowMs: () => number = Date.now,
  ) {}

  private retry: SpanRow[] = [];

  /** Takes the spans of one export request. */
  add(spans: readonly SpanRow[]): void {
    const now = this.nowMs();
    const passthrough: SpanRow[] = [];
    for (const span of spans) {
      const earlier = this.decided.get(span.traceId);
      if (earlier !== undefined) {
        if (earlier) passthrough.push(span);
        else this.spansDropped++;
        continue;
      }
      let trace = this.pending.get(span.traceId);
      if (!trace) {
        trace = { spans: [], lastSeenMs: now, startNs: span.startNs, endNs: span.endNs, error: false };
        this.pending.set(span.traceId, trace);
      } else {
        // Most recently active last: the map's order is the order traces go quiet in.
        this.pending.delete(span.traceId);
        this.pending.set(span.traceId, trace);
      }
      trace.spans.push(span);
      trace.lastSeenMs = now;
      if (span.startNs < trace.startNs) trace.startNs = span.startNs;
      if (span.endNs > trace.endNs) trace.endNs = span.endNs;
      if (span.statusCode === STATUS_ERROR) trace.error = true;
      this.spans++;
    }
    if (passthrough.length > 0) this.send(passthrough);
    while (this.spans > this.settings.maxSpans) {
      const oldest = this.pending.keys().next().value;
      if (oldest === undefined) break;
      this.decide(oldest);
    }
  }

  /** Decides every trace quiet for `idleMs`; offers again what the queue could not take. */
  sweep(): void {
    if (this.retry.length > 0) {
      const again = this.retry;
      this.retry = [];
      this.send(again);
    }
    const now = this.nowMs();
    for (const [traceId, trace] of this.pending) {
      if (now - trace.lastSeenMs < this.settings.idleMs) break; // the rest are more recent
      this.decide(traceId);
    }
  }

  /** Decides everything held now (shutdown). */
  flushAll(): void {
    for (const traceId of [...this.pending.keys()]) this.decide(traceId);
    if (this.retry.length > 0) {
      const again = this.retry;
      this.retry = [];
      this.send(again);
    }
  }

  stats(): TailSamplerStats {
    return {
      bufferedTraces: this.pending.size,
      bufferedSpans: this.spans,
      tracesKept: { ...this.kept },
      tracesDropped: this.tracesDropped,
      spansKept: this.spansKept,
      spansDropped: this.spansDropped,
    };
  }

  /** Why a complete trace is kept, or undefined to drop it. */
  reasonToKeep(traceId: string, trace: Pick<Pending, 'error' | 'startNs' | 'endNs'>): KeepReason | undefined {
    if (trace.error) return 'error';
    if (Number(trace.endNs - trace.startNs) / 1e6 >= this.settings.latencyMs) return 'latency';
    if (traceIdFraction(traceId) < this.settings.keepRatio) return 'ratio';
    return undefined;
  }

  private decide(traceId: string): void {
    const trace = this.pending.get(traceId);
    if (!trace) return;
    this.pending.delete(traceId);
    this.spans -= trace.spans.length;
    const reason = this.reasonToKeep(traceId, trace);
    this.remember(traceId, reason !== undefined);
    if (reason === undefined) {
      this.tracesDropped++;
      this.spansDropped += trace.spans.length;
      return;
    }
    this.kept[reason]++;
    this.send(trace.spans);
  }

  private send(spans: SpanRow[]): void {
    if (this.emit(spans)) {
      this.spansKept += spans.length;
      return;
    }
    // The queue is full: hold them for the next sweep, within the same bound as buffered traces.
    if (this.retry.length + spans.length <= this.settings.maxSpans) this.retry.push(...spans);
    else this.spansDropped += spans.length;
  }

  private remember(traceId: string, keep: boolean): void {
    if (this.decided.size >= DECISIONS_REMEMBERED) {
      const oldest = this.decided.keys().next().value;
      if (oldest !== undefined) this.decided.delete(oldest);
    }
    this.decided.set(traceId, keep);
  }
}

/** The sampler's counters as Prometheus text, appended to the observatory's own `/metrics`. */
export function tailSamplingMetricsText(s: TailSamplerStats): string {
  const lines = [
    '# HELP observatory_tail_sampling_traces_total Traces decided by tail sampling, by decision.',
    '# TYPE observatory_tail_sampling_traces_total counter',
    ...(['error', 'latency', 'ratio'] as const).map(
      (reason) => `observatory_tail_sampling_traces_total{decision="kept_${reason}"} ${s.tracesKept[reason]}`,
    ),
    `observatory_tail_sampling_traces_total{decision="dropped"} ${s.tracesDropped}`,
    '# HELP observatory_tail_sampling_spans_total Spans stored or dropped by tail sampling.',
    '# TYPE observatory_tail_sampling_spans_total counter',
    `observatory_tail_sampling_spans_total{decision="kept"} ${s.spansKept}`,
    `observatory_tail_sampling_spans_total{decision="dropped"} ${s.spansDropped}`,
    '# HELP observatory_tail_sampling_buffered_spans Spans held until their trace is decided.',
    '# TYPE observatory_tail_sampling_buffered_spans gauge',
    `observatory_tail_sampling_buffered_spans ${s.bufferedSpans}`,
  ];
  return `${lines.join('\n')}\n`;
}
