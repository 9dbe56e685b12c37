/**
 * The OpenTelemetry SDK, wired once for every Glassbox process. Import this module and call
 * `startTelemetry` before anything that should be instrumented (Fastify, pg, pino) is loaded: a service's
 * `main.ts` starts telemetry and then dynamically imports its server module.
 *
 * Standard OTEL_* variables are honoured (endpoint, protocol, headers, sampler, resource attributes,
 * exporters). With no OTLP endpoint configured, spans are still created (trace ids reach logs, problem
 * documents and `traceresponse`) but nothing is exported, and metrics are served only at /metrics.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { DiagConsoleLogger, DiagLogLevel, diag } from '@opentelemetry/api';
import { OTLPMetricExporter as OTLPMetricExporterGrpc } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { OTLPMetricExporter as OTLPMetricExporterJson } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as OTLPMetricExporterProto } from '@opentelemetry/exporter-metrics-otlp-proto';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  type IMetricReader,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { NoopSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';

export interface TelemetryOptions {
  serviceName: string;
  serviceVersion?: string;
  env?: NodeJS.ProcessEnv;
}

export interface Telemetry {
  readonly serviceName: string;
  readonly exporting: boolean;
  /** Prometheus text exposition of every metric of this process. */
  prometheusText(): Promise<string>;
  /** Flushes and stops exporting; safe to call twice. */
  shutdown(): Promise<void>;
}

const PROBE_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

let current: Telemetry | undefined;

export function getTelemetry(): Telemetry | undefined {
  return current;
}

function otlpConfigured(env: NodeJS.ProcessEnv, signal: 'TRACES' | 'METRICS' | 'LOGS'): boolean {
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env[`OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`]);
}

function otlpMetricExporter(env: NodeJS.ProcessEnv): PushMetricExporter {
  const protocol =
    env.OTEL_EXPORTER_OTLP_METRICS_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf';
  const temporalityPreference =
    env.OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE?.toLowerCase() === 'delta'
      ? AggregationTemporality.DELTA
      : AggregationTemporality.CUMULATIVE;
  if (protocol === 'grpc') return new OTLPMetricExporterGrpc({ temporalityPreference });
  if (protocol === 'http/json') return new OTLPMetricExporterJson({ temporalityPreference });
  return new OTLPMetricExporterProto({ temporalityPreference });
}

/** Starts the SDK for this process. Idempotent: a second call returns the running instance. */
export function startTelemetry(options: TelemetryOptions): Telemetry {
  if (current) return current;
  const env = options.env ?? process.env;
  if (env.OTEL_SDK_DISABLED === 'true') {
    // Telemetry off (the benchmarks compare against this): no SDK, no instrumentation, nothing exported.
    current = {
      serviceName: options.serviceName,
      exporting: false,
      prometheusText: async () => '# OpenTelemetry SDK disabled (OTEL_SDK_DISABLED=true)\n',
      shutdown: async () => {},
    };
    return current;
  }
  if (env.OTEL_LOG_LEVEL) diag.setLogger(new DiagConsoleLogger(), DiagLogLevel.WARN);
  // Stable HTTP and database semantic conventions: http.server.request.duration (s),
  // db.client.operation.duration (s), http.route, http.response.status_code …
  env.OTEL_SEMCONV_STABILITY_OPT_IN ??= 'http,database';

  const exportTraces = env.OTEL_TRACES_EXPORTER
    ? env.OTEL_TRACES_EXPORTER !== 'none'
    : otlpConfigured(env, 'TRACES');
  const exportLogs = env.OTEL_LOGS_EXPORTER ? env.OTEL_LOGS_EXPORTER !== 'none' : otlpConfigured(env, 'LOGS');
  const exportMetrics = env.OTEL_METRICS_EXPORTER
    ? env.OTEL_METRICS_EXPORTER.split(',').includes('otlp')
    : otlpConfigured(env, 'METRICS');
  if (!exportLogs) env.OTEL_LOGS_EXPORTER = 'none';

  const prometheus = new PrometheusExporter({ preventServerStart: true });
  const serializer = new PrometheusSerializer();
  const metricReaders: IMetricReader[] = [prometheus];
  if (exportMetrics) {
    metricReaders.push(
      new PeriodicExportingMetricReader({
        exporter: otlpMetricExporter(env),
        exportIntervalMillis: Number(env.OTEL_METRIC_EXPORT_INTERVAL ?? 15_000),
      }),
    );
  }

  const resource = resourceFromAttributes({
    [ATTR_SERVICE_NAME]: env.OTEL_SERVICE_NAME ?? options.serviceName,
    [ATTR_SERVICE_VERSION]: options.serviceVersion ?? env.SERVICE_VERSION ?? '0.1.0',
    'service.namespace': 'glassbox',
    'service.instance.id': env.SERVICE_INSTANCE_ID ?? randomUUID(),
    'deployment.environment.name': env.DEPLOYMENT_ENVIRONMENT ?? 'local',
  });

  const sdk = new NodeSDK({
    resource,
    serviceName: env.OTEL_SERVICE_NAME ?? options.serviceName,
    // With an exporter the env decides (OTEL_TRACES_EXPORTER, OTEL_BSP_*); without one, spans still exist.
    ...(exportTraces ? {} : { spanProcessors: [new NoopSpanProcessor()] }),
    metricReaders,
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req: IncomingMessage) =>
          PROBE_PATHS.has((req.url ?? '').split('?')[0] ?? ''),
      }),
      new UndiciInstrumentation(),
      // Queries only inside a trace (no orphan spans from pool housekeeping); pool connects are not worth a span each.
      new PgInstrumentation({
        enhancedDatabaseReporting: false,
        requireParentSpan: true,
        ignoreConnectSpans: true,
      }),
      new PinoInstrumentation({
        logKeys: { traceId: 'trace_id', spanId: 'span_id', traceFlags: 'trace_flags' },
      }),
    ],
  });
  sdk.start();

  let stopped: Promise<void> | undefined;
  current = {
    serviceName: options.serviceName,
    exporting: exportTraces,
    async prometheusText() {
      const { resourceMetrics, errors } = await prometheus.collect();
      if (errors.length > 0) diag.warn('metric collection errors', errors);
      return serializer.serialize(resourceMetrics);
    },
    shutdown() {
      stopped ??= sdk.shutdown().catch((err: unknown) => diag.error('telemetry shutdown failed', err));
      return stopped;
    },
  };
  return current;
}
