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

export class KeepErrorsAndSlowProcessor implements SpanProcessor {
  private readonly pending = new Map<string, Pending>();
  /** Traces already kept whose later spans (work after the response) follow them. */
  private readonly kept = new Map<string, 'error' | 'slow'>();
  private readonly maxTraces: number;
  private readonly maxSpansPerTrace: number;

  constructor(private readonly options: KeepErrorsAndSlowOptions) {
    this.maxTraces = options.maxTraces ?? 4096;
    this.maxSpansPerTrace = options.maxSpansPerTrace ?? 512;
  }

  onStart(span: Span, parentContext: Context): void {
    if (span.spanContext().traceFlags & TraceFlags.SAMPLED) this.options.next.onStart(span, parentContext);
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
    const already = this.kept.get(sc.traceId);
    if (already) {
      this.options.next.onEnd(asSampled(span, already));
      return;
    }
    let trace = this.pending.get(sc.traceId);
    if (!trace) {
      if (this.pending.size >= this.maxTraces) {
        const oldest = this.pending.keys().next().value;
        if (oldest !== undefined) this.pending.delete(oldest);
      }
      trace = { spans: [], keep: undefined };
      this.pending.set(sc.traceId, trace);
    }
    if (trace.spans.length < this.maxSpansPerTrace) trace.spans.push(span);
    if (reason && trace.keep !== 'error') trace.keep = reason;
    const localRoot = !span.parentSpanContext || span.parentSpanContext.isRemote === true;
    if (!localRoot) return;
    this.pending.delete(sc.traceId);
    if (!trace.keep) return;
    this.remember(sc.traceId, trace.keep);
    for (const s of trace.spans) this.options.next.onEnd(asSampled(s, trace.keep));
  }

  private remember(traceId: string, reason: 'error' | 'slow') {
    if (this.kept.size >= 1024) {
      const oldest = this.kept.keys().next().value;
      if (oldest !== undefined) this.kept.delete(oldest);
    }
    this.kept.set(traceId, reason);
  }

  /** Traces waiting for their local root (for tests and self-observation). */
  get pendingTraces(): number {
    return this.pending.size;
  }

  forceFlush(): Promise<void> {
    return this.options.next.forceFlush();
  }

  shutdown(): Promise<void> {
    this.pending.clear();
    return this.options.next.shutdown();
  }
}
