import * as grpc from '@grpc/grpc-js';
import type { IngestOutcome, IngestPipeline } from './pipeline.js';
import { encodeExportResponse, encodeStatus, type SignalPath, type StatusDetail } from './proto.js';

export interface OtlpGrpcOptions {
  pipeline: IngestPipeline;
  /**
   * Largest message, checked by grpc-js both on the wire and after decompression (gzip/deflate
   * message compression is handled by grpc-js); larger ones get RESOURCE_EXHAUSTED.
   */
  maxMessageBytes: number;
  /** HTTP/2 streams per connection. */
  maxConcurrentStreams: number;
}

const SERVICES: [string, SignalPath][] = [
  ['/opentelemetry.proto.collector.trace.v1.TraceService/Export', 'traces'],
  ['/opentelemetry.proto.collector.metrics.v1.MetricsService/Export', 'metrics'],
  ['/opentelemetry.proto.collector.logs.v1.LogsService/Export', 'logs'],
];

const identity = (b: Buffer) => b;

/** A unary method whose (de)serialisers pass bytes through; decoding happens in the handler. */
function exportMethod(path: string): grpc.MethodDefinition<Buffer, Buffer> {
  return {
    path,
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
    originalName: 'export',
  };
}

function statusError(code: grpc.status, message: string, detail?: StatusDetail): Partial<grpc.StatusObject> {
  const metadata = new grpc.Metadata();
  metadata.set('grpc-status-details-bin', Buffer.from(encodeStatus(code, message, detail)));
  return { code, details: message, metadata };
}

function reply(signal: SignalPath, outcome: IngestOutcome, callback: grpc.sendUnaryData<Buffer>): void {
  switch (outcome.kind) {
    case 'ok':
      callback(null, Buffer.from(encodeExportResponse(signal, outcome.partial)));
      return;
    case 'invalid':
      callback(
        statusError(grpc.status.INVALID_ARGUMENT, outcome.message, {
          kind: 'badRequest',
          field: outcome.field,
          description: outcome.message,
        }),
      );
      return;
    case 'too_large':
      // Without RetryInfo, RESOURCE_EXHAUSTED is not retryable (OTLP spec).
      callback(statusError(grpc.status.RESOURCE_EXHAUSTED, outcome.message));
      return;
    case 'overloaded':
      callback(
        statusError(grpc.status.RESOURCE_EXHAUSTED, outcome.message, {
          kind: 'retry',
          delaySeconds: outcome.retryAfterSeconds,
        }),
      );
      return;
  }
}

/**
 * OTLP/gRPC receiver: the three Export services. Overload answers RESOURCE_EXHAUSTED with a
 * google.rpc.RetryInfo in `grpc-status-details-bin` (which makes it retryable per the OTLP spec);
 * bad data answers INVALID_ARGUMENT with a BadRequest detail.
 */
export function createOtlpGrpcServer(opts: OtlpGrpcOptions): grpc.Server {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': opts.maxMessageBytes,
    'grpc.max_concurrent_streams': opts.maxConcurrentStreams,
  });
  for (const [path, signal] of SERVICES) {
    const definition: grpc.ServiceDefinition = { Export: exportMethod(path) };
    const handler: grpc.handleUnaryCall<Buffer, Buffer> = (call, callback) => {
      try {
        const busy = opts.pipeline.overloaded(signal);
        reply(signal, busy ?? opts.pipeline.ingest(signal, 'protobuf', call.request), callback);
      } catch {
        callback({ code: grpc.status.INTERNAL, details: 'internal error' });
      }
    };
    server.addService(definition, { Export: handler });
  }
  return server;
}

/** Binds the server; resolves with the bound port (pass 0 for a free one). */
export function bindGrpc(server: grpc.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (err, bound) => {
      if (err) reject(err);
      else resolve(bound);
    });
  });
}

/** Graceful shutdown: finish calls in flight, then force after `timeoutMs`. */
export function shutdownGrpc(server: grpc.Server, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, timeoutMs);
    timer.unref();
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
