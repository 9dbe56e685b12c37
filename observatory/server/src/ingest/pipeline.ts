import type { SelfStats, Signal } from '../self/self-stats.js';
import type { SpanRow } from '../store/types.js';
import type { WriteQueue } from '../store/write-queue.js';
import {
  type Converted,
  convertLogs,
  convertMetrics,
  convertTraces,
  OtlpInvalidError,
  spanRowBytes,
} from './convert.js';
import { decodeLogsJson, decodeMetricsJson, decodeTraceJson } from './otlp-json.js';
import { decodeMetricsRequest, type PartialSuccess, type SignalPath } from './proto.js';
import { logRowsFromProtobuf, traceRowsFromProtobuf } from './proto-rows.js';
import { TailSampler, type TailSamplingSettings } from './tail-sampler.js';

export type Encoding = 'protobuf' | 'json';

/** What a transport answers for one export request. */
export type IngestOutcome =
  | { kind: 'ok'; accepted: number; partial: PartialSuccess | null }
  /** Bad data: nothing stored; HTTP 400 / gRPC INVALID_ARGUMENT. */
  | { kind: 'invalid'; message: string; field: string }
  /** More items in one request than the write queue can ever hold: HTTP 413 / gRPC RESOURCE_EXHAUSTED without retry hint. */
  | { kind: 'too_large'; message: string }
  /** Write queue full: HTTP 429 + Retry-After / gRPC RESOURCE_EXHAUSTED + RetryInfo. */
  | { kind: 'overloaded'; message: string; retryAfterSeconds: number };

export const SIGNAL_OF: Record<SignalPath, Signal> = {
  traces: 'spans',
  logs: 'logs',
  metrics: 'metricPoints',
};

const ITEM_NAME: Record<SignalPath, string> = {
  traces: 'spans',
  logs: 'log records',
  metrics: 'data points',
};

export interface PipelineOptions {
  /** The Retry-After / RetryInfo delay suggested to throttled clients. */
  retryAfterSeconds: number;
  /** Tail-based sampling of traces (tail-sampler.ts); every span is stored when absent. */
  tailSampling?: TailSamplingSettings;
}

/**
 * Protobuf traces and logs are read straight into rows (proto-rows.ts: no message objects; same
 * rows as protobufjs + convert.ts, which metrics, low in volume, still use).
 */
function decodeAndConvert(signal: SignalPath, encoding: Encoding, body: Buffer): Converted {
  if (encoding === 'protobuf') {
    switch (signal) {
      case 'traces':
        return traceRowsFromProtobuf(body);
      case 'logs':
        return logRowsFromProtobuf(body);
      case 'metrics':
        return convertMetrics(decodeMetricsRequest(body));
    }
  }
  const text = body.toString('utf8');
  switch (signal) {
    case 'traces':
      return convertTraces(decodeTraceJson(text));
    case 'logs':
      return convertLogs(decodeLogsJson(text));
    case 'metrics':
      return convertMetrics(decodeMetricsJson(text));
  }
}

/**
 * The transport-independent part of the receiver: decode (protobuf or OTLP/JSON), validate,
 * convert to rows and enqueue them all-or-nothing, recording self-observability counters.
 * Synchronous: a request is fully validated before any of it is queued.
 */
export class IngestPipeline {
  /** Holds spans per trace until the trace is complete, when tail sampling is on; `sweep()` decides. */
  readonly tailSampler: TailSampler | undefined;

  constructor(
    private readonly queue: WriteQueue,
    private readonly stats: SelfStats,
    private readonly opts: PipelineOptions,
  ) {
    this.tailSampler = opts.tailSampling
      ? new TailSampler(opts.tailSampling, (spans) => this.enqueueKept(spans))
      : undefined;
  }

  /** The spans of a trace the tail sampler kept, into the write queue (false when it is full: retried). */
  private enqueueKept(spans: SpanRow[]): boolean {
    let approxBytes = 0;
    for (const span of spans) approxBytes += spanRowBytes(span);
    return this.queue.tryEnqueue({ spans, logs: [], metricPoints: [], approxBytes });
  }

  /** Cheap pre-check before reading/decoding a body: is the queue already full? */
  overloaded(signal: SignalPath): IngestOutcome | null {
    if (this.queue.hasRoomFor(1, 0)) return null;
    this.stats.recordThrottled(SIGNAL_OF[signal], 0);
    return this.overloadedOutcome();
  }

  /** Refuses a request for a transport-level reason (e.g. too many in flight) with back-pressure. */
  throttle(signal: SignalPath, reason: string): IngestOutcome {
    this.stats.recordThrottled(SIGNAL_OF[signal], 0);
    return {
      kind: 'overloaded',
      message: `${reason}; retry later`,
      retryAfterSeconds: this.opts.retryAfterSeconds,
    };
  }

  /** Counts a request the transport refused before decoding (bad encoding, too large, wrong type). */
  rejectRequest(signal: SignalPath): void {
    this.stats.recordRejectedRequest(SIGNAL_OF[signal]);
  }

  ingest(signal: SignalPath, encoding: Encoding, body: Buffer): IngestOutcome {
    const s = SIGNAL_OF[signal];
    if (body.length === 0) return { kind: 'ok', accepted: 0, partial: null };
    let converted: Converted;
    try {
      converted = decodeAndConvert(signal, encoding, body);
    } catch (err) {
      if (err instanceof OtlpInvalidError) {
        this.stats.recordRejectedRequest(s);
        return { kind: 'invalid', message: err.message, field: err.field };
      }
      if (err instanceof RangeError) {
        // e.g. call stack exhausted by pathologically nested protobuf
        this.stats.recordRejectedRequest(s);
        return { kind: 'invalid', message: `payload could not be decoded (${err.message})`, field: '' };
      }
      throw err;
    }
    const { batch, rejected, errorMessage, items } = converted;
    const rows = batch.spans.length + batch.logs.length + batch.metricPoints.length;
    const limits = this.queue.limits;
    if (rows > limits.maxRows || batch.approxBytes > limits.maxBytes) {
      this.stats.recordRejectedRequest(s, items);
      return {
        kind: 'too_large',
        message: `request holds ${rows} ${ITEM_NAME[signal]} (~${batch.approxBytes} bytes), more than the write queue takes at once (${limits.maxRows} rows, ${limits.maxBytes} bytes); send smaller batches`,
      };
    }
    if (this.tailSampler && batch.spans.length > 0) {
      // Accepted now, stored (or not) when the trace is complete. Back-pressure still applies: a full queue
      // refuses the request before its spans are buffered.
      if (!this.queue.hasRoomFor(1, 0)) {
        this.stats.recordThrottled(s, items);
        return this.overloadedOutcome();
      }
      this.tailSampler.add(batch.spans);
    } else if (!this.queue.tryEnqueue(batch)) {
      this.stats.recordThrottled(s, items);
      return this.overloadedOutcome();
    }
    this.stats.recordAccepted(s, rows);
    if (rejected > 0) this.stats.recordRejected(s, rejected);
    return {
      kind: 'ok',
      accepted: rows,
      partial: rejected > 0 ? { rejected, errorMessage } : null,
    };
  }

  private overloadedOutcome(): IngestOutcome {
    return {
      kind: 'overloaded',
      message: `observatory write queue is full (${this.queue.depth} rows, ${this.queue.bytes} bytes queued); retry later`,
      retryAfterSeconds: this.opts.retryAfterSeconds,
    };
  }
}
