/**
 * The production trace policy (`GLASSBOX_TRACES_POLICY=production`): keep a share of normal traces (10 % by
 * default), and every trace with an error or a slow span — decided in each process, without a collector.
 *
 * - Sampler: parent-based; a root is sampled by trace-id ratio (so every service agrees on the same traces),
 *   and everything not sampled is still *recorded* (RECORD, flag not set) instead of dropped, so that an error
 *   or a slow span can still be seen when it ends.
 * - `KeepErrorsAndSlowProcessor`: sampled spans go straight to the exporting processor; recorded-only ones wait
 *   in memory, per trace, until the process's local root of that trace (the server span of the request) ends.
 *   If any of them failed (status ERROR) or took at least the slow threshold, all of them are exported (flagged
 *   sampled, with `glassbox.sampling.kept` saying why); otherwise they are dropped.
 *
 * Limits, honestly: each process decides for its own part of a trace. A failure in inventory keeps inventory's
 * spans, and the callers' spans only if the failure reached them (an HTTP 5xx makes their server span an error
 * too); a caller that recovered from it (a retry that succeeded) keeps its part only under the ratio. A
 * complete view of every error trace needs tail sampling where all spans meet (the observatory's
 * OBSERVATORY_TAIL_SAMPLING, or the Collector's `tail_sampling` processor). Spans are recorded for every
 * request — creating them is most of the CPU, exporting the rest; the memory held is bounded
 * (`maxTraces` × `maxSpansPerTrace`, oldest trace dropped first).
 */
import { type Context, SpanStatusCode, TraceFlags } from '@opentelemetry/api';
import {
  ParentBasedSampler,
  type ReadableSpan,
  type Sampler,
  SamplingDecision,
  type SamplingResult,
  type Span,
  type SpanProcessor,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace';

/** Records every span without sampling it (no export unless a processor decides otherwise). */
class RecordOnlySampler implements Sampler {
  shouldSample(): SamplingResult {
    return { decision: SamplingDecision.RECORD };
  }
  toString(): string {
    return 'RecordOnly';
  }
}

/** Trace-id ratio for the sampled flag; the rest recorded only. */
class RatioOrRecordSampler implements Sampler {
  private readonly ratio: TraceIdRatioBasedSampler;
  constructor(ratio: number) {
    this.ratio = new TraceIdRatioBasedSampler(ratio);
  }
  shouldSample(context: Context, traceId: string): SamplingResult {
    const result = this.ratio.shouldSample(context, traceId);
    return result.decision === SamplingDecision.RECORD_AND_SAMPLED
      ? result
      : { decision: SamplingDecision.RECORD };
  }
  toString(): string {
    return `RatioOrRecord{${this.ratio.toString()}}`;
  }
}

export function productionSampler(ratio: number): Sampler {
  const recordOnly = new RecordOnlySampler();
  return new ParentBasedSampler({
    root: new RatioOrRecordSampler(ratio),
    remoteParentNotSampled: recordOnly,
    localParentNotSampled: recordOnly,
  });
}

export interface KeepErrorsAndSlowOptions {
  /** The processor that exports (a BatchSpanProcessor). */
  next: SpanProcessor;
  /** A span at least this long keeps its trace. */
  slowMs: number;
  /** Traces waiting for their local root at most; the oldest is dropped past it. */
  maxTraces?: number;
  maxSpansPerTrace?: number;
}

interface Pending {
  spans: ReadableSpan[];
  keep: 'error' | 'slow' | undefined;
}

/** Makes room for one more entry: the oldest goes when the map is full. */
function bounded(map: Map<string, unknown>, max: number): void {
  if (map.size < max) return;
  const oldest = map.keys().next().value;
  if (oldest !== undefined) map.delete(oldest);
}

const durationMs = (span: ReadableSpan) => span.duration[0] * 1e3 + span.duration[1] / 1e6;

/** The span as the exporters read it, flagged sampled (exporting processors skip unsampled spans). */
function asSampled(span: ReadableSpan, reason: 'error' | 'slow'): ReadableSpan {
  const sc = span.spanContext();
  const context = { ...sc, traceFlags: sc.traceFlags | TraceFlags.SAMPLED };
  return {
    name: span.name,
    kind: span.kind,
    spanContext: () => context,
    ...(span.parentSpanContext ? { parentSpanContext: span.parentSpanContext } : {}),
    startTime: span.startTime,
    endTime: span.endTime,
    status: span.status,
    attributes: { ...span.attributes, 'glassbox.sampling.kept': reason },
    links: span.links,
    events: span.events,
    duration: span.duration,
    ended: span.ended,
    resource: span.resource,
    instrumentationScope: span.instrumentationScope,
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount,
  };
}

const isLocalRoot = (span: ReadableSpan) =>
  !span.parentSpanContext || span.parentSpanContext.isRemote === true;

export class KeepErrorsAndSlowProcessor implements SpanProcessor {
  private readonly pending = new Map<string, Pending>();
  /** Local roots (requests, deliveries) of unsampled traces that have started and not ended yet, per trace. */
  private readonly openRoots = new Map<string, number>();
  /**
   * What was decided for a trace when a local root of it ended: kept (why), or dropped. A span that ends when no
   * local root of its trace is open any more (work after the response) follows the decision at once — a kept
   * trace's are exported, a dropped trace's dropped, unless the span itself failed or was slow, which keeps it
   * and the trace's later spans. Without this, every late span of a dropped trace would wait in `pending` for a
   * root that had already ended, until the oldest-first eviction took it.
   */
  private readonly decided = new Map<string, 'error' | 'slow' | 'dropped'>();
  private readonly maxTraces: number;
  private readonly maxSpansPerTrace: number;

  constructor(private readonly options: KeepErrorsAndSlowOptions) {
    this.maxTraces = options.maxTraces ?? 4096;
    this.maxSpansPerTrace = options.maxSpansPerTrace ?? 512;
  }

  onStart(span: Span, parentContext: Context): void {
    const sc = span.spanContext();
    if (sc.traceFlags & TraceFlags.SAMPLED) {
      this.options.next.onStart(span, parentContext);
      return;
    }
    if (isLocalRoot(span)) {
      bounded(this.openRoots, this.maxTraces);
      this.openRoots.set(sc.traceId, (this.openRoots.get(sc.traceId) ?? 0) + 1);
    }
  }

  onEnd(span: ReadableSpan): void {
    const sc = span.spanContext();
    if (sc.traceFlags & TraceFlags.SAMPLED) {
      this.options.next.onEnd(span);
      return;
    }
    const reason =
      span.status.code === SpanStatusCode.ERROR
        ? 'error'
        : durationMs(span) >= this.options.slowMs
          ? 'slow'
          : undefined;
    const localRoot = isLocalRoot(span);
    const decision = this.decided.get(sc.traceId);
    if (!localRoot && decision !== undefined && !this.openRoots.has(sc.traceId)) {
      const keep = decision === 'dropped' ? reason : decision;
      if (keep === undefined) return;
      if (decision === 'dropped') this.remember(sc.traceId, keep);
      this.options.next.onEnd(asSampled(span, keep));
      return;
    }
    let trace = this.pending.get(sc.traceId);
    if (!trace) {
      bounded(this.pending, this.maxTraces);
      trace = { spans: [], keep: undefined };
      this.pending.set(sc.traceId, trace);
    }
    if (trace.spans.length < this.maxSpansPerTrace) trace.spans.push(span);
    if (reason && trace.keep !== 'error') trace.keep = reason;
    if (!localRoot) return;
    const open = (this.openRoots.get(sc.traceId) ?? 1) - 1;
    if (open > 0) this.openRoots.set(sc.traceId, open);
    else this.openRoots.delete(sc.traceId);
    this.pending.delete(sc.traceId);
    // A trace once kept stays kept (another request of it in this process decided first).
    const keep = trace.keep ?? (decision === 'dropped' ? undefined : decision);
    this.remember(sc.traceId, keep ?? 'dropped');
    if (keep === undefined) return;
    for (const s of trace.spans) this.options.next.onEnd(asSampled(s, keep));
  }

  private remember(traceId: string, decision: 'error' | 'slow' | 'dropped') {
    this.decided.delete(traceId);
    bounded(this.decided, this.maxTraces);
    this.decided.set(traceId, decision);
  }

  /** Traces waiting for their local root (for tests and self-observation). */
  get pendingTraces(): number {
    return this.pending.size;
  }

  /** Traces whose decision is remembered for their late spans (for tests: bounded by `maxTraces`). */
  get decidedTraces(): number {
    return this.decided.size;
  }

  forceFlush(): Promise<void> {
    return this.options.next.forceFlush();
  }

  shutdown(): Promise<void> {
    this.pending.clear();
    this.openRoots.clear();
    this.decided.clear();
    return this.options.next.shutdown();
  }
}
