import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { OtlpInvalidError } from './convert.js';
import type { ExportLogsRequest, ExportMetricsRequest, ExportTraceRequest } from './otlp-model.js';

/**
 * OTLP protobuf codec. Decision: the `.proto` files under `./proto/` (hand-written from the
 * opentelemetry-proto spec, trimmed to what the receiver reads) are parsed once at start-up by
 * protobufjs' reflection API, which generates the decode functions at run time. No generated JS
 * or JSON descriptor is checked in, so the schema has a single, readable source. Parsing takes a
 * few milliseconds.
 *
 * protobufjs decodes 64-bit integers as `Long` objects (the `long` package is installed with it),
 * so nanosecond timestamps stay exact.
 */
const PROTO_DIR = fileURLToPath(new URL('./proto/', import.meta.url));

const root = new protobuf.Root();
root.resolvePath = (_origin, target) => PROTO_DIR + target;
root.loadSync(
  [
    'opentelemetry/proto/collector/trace/v1/trace_service.proto',
    'opentelemetry/proto/collector/logs/v1/logs_service.proto',
    'opentelemetry/proto/collector/metrics/v1/metrics_service.proto',
    'google/rpc/status.proto',
  ],
  { keepCase: false },
);
root.resolveAll();

const type = (name: string) => root.lookupType(name);

const TraceRequest = type('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
const LogsRequest = type('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest');
const MetricsRequest = type('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest');
const TraceResponse = type('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse');
const LogsResponse = type('opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse');
const MetricsResponse = type('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse');
const Status = type('google.rpc.Status');
const RetryInfo = type('google.rpc.RetryInfo');
const BadRequest = type('google.rpc.BadRequest');

export type SignalPath = 'traces' | 'metrics' | 'logs';

function decode<T>(t: protobuf.Type, buf: Uint8Array): T {
  try {
    return t.decode(buf) as unknown as T;
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new OtlpInvalidError(`not a valid protobuf ${t.name} (${detail})`, '');
  }
}

export const decodeTraceRequest = (buf: Uint8Array) => decode<ExportTraceRequest>(TraceRequest, buf);
export const decodeLogsRequest = (buf: Uint8Array) => decode<ExportLogsRequest>(LogsRequest, buf);
export const decodeMetricsRequest = (buf: Uint8Array) => decode<ExportMetricsRequest>(MetricsRequest, buf);

/**
 * Encodes an Export*ServiceRequest from a plain object in protobufjs form (camelCase fields, ids
 * and other bytes as Buffers, 64-bit integers as decimal strings or numbers). For tests and the
 * benchmark; the receiver never encodes requests.
 */
export function encodeExportRequest(signal: SignalPath, request: Record<string, unknown>): Uint8Array {
  const t = signal === 'traces' ? TraceRequest : signal === 'logs' ? LogsRequest : MetricsRequest;
  return t.encode(t.fromObject(request)).finish();
}

/** The partial-success field names of each signal's Export*ServiceResponse. */
export const REJECTED_FIELD: Record<SignalPath, string> = {
  traces: 'rejectedSpans',
  metrics: 'rejectedDataPoints',
  logs: 'rejectedLogRecords',
};

export interface PartialSuccess {
  rejected: number;
  errorMessage: string;
}

/** The Export*ServiceResponse as a plain object in OTLP/JSON form (`partialSuccess` only when set). */
export function exportResponseJson(
  signal: SignalPath,
  partial: PartialSuccess | null,
): Record<string, unknown> {
  if (!partial) return {};
  return {
    partialSuccess: {
      [REJECTED_FIELD[signal]]: String(partial.rejected),
      errorMessage: partial.errorMessage,
    },
  };
}

const EMPTY = new Uint8Array(0);

/** Protobuf-encoded Export*ServiceResponse. */
export function encodeExportResponse(signal: SignalPath, partial: PartialSuccess | null): Uint8Array {
  if (!partial) return EMPTY;
  const t = signal === 'traces' ? TraceResponse : signal === 'logs' ? LogsResponse : MetricsResponse;
  return t
    .encode(
      t.fromObject({
        partialSuccess: { [REJECTED_FIELD[signal]]: partial.rejected, errorMessage: partial.errorMessage },
      }),
    )
    .finish();
}

/** Extra detail carried in a google.rpc.Status. */
export type StatusDetail =
  | { kind: 'retry'; delaySeconds: number }
  | { kind: 'badRequest'; field: string; description: string };

const RETRY_INFO_URL = 'type.googleapis.com/google.rpc.RetryInfo';
const BAD_REQUEST_URL = 'type.googleapis.com/google.rpc.BadRequest';

/** google.rpc.Status, protobuf-encoded (OTLP/HTTP error body; gRPC `grpc-status-details-bin`). */
export function encodeStatus(code: number, message: string, detail?: StatusDetail): Uint8Array {
  const details: { typeUrl: string; value: Uint8Array }[] = [];
  if (detail?.kind === 'retry') {
    details.push({
      typeUrl: RETRY_INFO_URL,
      value: RetryInfo.encode(
        RetryInfo.fromObject({ retryDelay: { seconds: detail.delaySeconds } }),
      ).finish(),
    });
  } else if (detail?.kind === 'badRequest') {
    details.push({
      typeUrl: BAD_REQUEST_URL,
      value: BadRequest.encode(
        BadRequest.fromObject({
          fieldViolations: [{ field: detail.field, description: detail.description }],
        }),
      ).finish(),
    });
  }
  return Status.encode(Status.fromObject({ code, message, details })).finish();
}

/** google.rpc.Status in proto3 JSON form. */
export function statusJson(code: number, message: string, detail?: StatusDetail): Record<string, unknown> {
  const details: Record<string, unknown>[] = [];
  if (detail?.kind === 'retry')
    details.push({ '@type': RETRY_INFO_URL, retryDelay: `${detail.delaySeconds}s` });
  else if (detail?.kind === 'badRequest') {
    details.push({
      '@type': BAD_REQUEST_URL,
      fieldViolations: [{ field: detail.field, description: detail.description }],
    });
  }
  return details.length > 0 ? { code, message, details } : { code, message };
}

/** Decodes a google.rpc.Status (tests and clients). */
export function decodeStatus(buf: Uint8Array): {
  code: number;
  message: string;
  details: {
    typeUrl: string;
    retryDelaySeconds?: number;
    fieldViolations?: { field: string; description: string }[];
  }[];
} {
  const s = Status.toObject(Status.decode(buf), { defaults: true, longs: Number }) as {
    code: number;
    message: string;
    details: { typeUrl: string; value: Uint8Array }[];
  };
  return {
    code: s.code,
    message: s.message,
    details: s.details.map((d) => {
      if (d.typeUrl === RETRY_INFO_URL) {
        const r = RetryInfo.toObject(RetryInfo.decode(d.value), { longs: Number, defaults: true }) as {
          retryDelay?: { seconds: number };
        };
        return { typeUrl: d.typeUrl, retryDelaySeconds: r.retryDelay?.seconds ?? 0 };
      }
      if (d.typeUrl === BAD_REQUEST_URL) {
        const b = BadRequest.toObject(BadRequest.decode(d.value), { defaults: true }) as {
          fieldViolations: { field: string; description: string }[];
        };
        return { typeUrl: d.typeUrl, fieldViolations: b.fieldViolations };
      }
      return { typeUrl: d.typeUrl };
    }),
  };
}

/** Decodes an Export*ServiceResponse's partial success (tests and clients). */
export function decodeExportResponse(signal: SignalPath, buf: Uint8Array): PartialSuccess | null {
  const t = signal === 'traces' ? TraceResponse : signal === 'logs' ? LogsResponse : MetricsResponse;
  const o = t.toObject(t.decode(buf), { longs: Number }) as {
    partialSuccess?: Record<string, number | string>;
  };
  if (!o.partialSuccess) return null;
  return {
    rejected: Number(o.partialSuccess[REJECTED_FIELD[signal]] ?? 0),
    errorMessage: String(o.partialSuccess.errorMessage ?? ''),
  };
}
