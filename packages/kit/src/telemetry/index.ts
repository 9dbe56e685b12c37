/**
 * The OpenTelemetry SDK, wired once for every Glassbox process. A service's `main.ts` awaits `startTelemetry`
 * before it imports anything that should be instrumented (Fastify, pg, pino), then imports its server module.
 *
 * Built from the SDK's parts rather than `NodeSDK`, so a process loads only what it uses: the exporter of the
 * configured protocol (gRPC's stack only with `grpc`), no resource detectors (host names, pids and paths stay
 * out of `target_info`). The standard OTEL_* variables are honoured (see env.ts for those the SDK no longer
 * reads itself; endpoints, headers, compression and timeouts are read by the exporters). With no OTLP endpoint
 * configured spans are still created — trace ids reach logs, problem documents and `traceresponse` — but
 * nothing is exported, and metrics are served only at /metrics.
 */
import { randomUUID } from 'node:crypto';
import {
  context,
  DiagConsoleLogger,
  DiagLogLevel,
  diag,
  logs,
  metrics,
  propagation,
  trace,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { type Instrumentation, registerInstrumentations } from '@opentelemetry/instrumentation';
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import {
  AggregationTemporality,
  type IMetricReader,
  MeterProvider,
  PeriodicExportingMetricReader,
  type ViewOptions,
} from '@opentelemetry/sdk-metrics';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  type Sampler,
  type SpanProcessor,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { startDbTelemetry } from '../db-telemetry.js';
import { setSlowStatementThreshold } from '../db-trace.js';
import { nameUndiciClientSpan, startHttpTelemetry } from '../http-telemetry.js';
import { type OtlpProtocol, readTelemetryEnv, type SamplerSetting, type TelemetryEnv } from './env.js';
import { recordEventLoopDelay } from './event-loop.js';
import { DropIdleRoundsProcessor } from './idle-rounds.js';
import { recordProcessCpu } from './process-cpu.js';
import { recordProcessMemory } from './process-memory.js';
import { KeepErrorsAndSlowProcessor, productionSampler } from './production-policy.js';
import { recordV8Runtime } from './v8-runtime.js';

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

let current: Telemetry | undefined;

export function getTelemetry(): Telemetry | undefined {
  return current;
}

export function samplerFor(setting: SamplerSetting): Sampler {
  switch (setting.kind) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(setting.ratio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(setting.ratio) });
  }
}

// Exporters are loaded on demand: each protocol pulls its own dependencies (gRPC's are the heaviest).
async function traceExporter(protocol: OtlpProtocol) {
  if (protocol === 'grpc')
    return new (await import('@opentelemetry/exporter-trace-otlp-grpc')).OTLPTraceExporter();
  if (protocol === 'http/json')
    return new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter();
  return new (await import('@opentelemetry/exporter-trace-otlp-proto')).OTLPTraceExporter();
}

async function logExporter(protocol: OtlpProtocol) {
  if (protocol === 'grpc')
    return new (await import('@opentelemetry/exporter-logs-otlp-grpc')).OTLPLogExporter();
  if (protocol === 'http/json')
    return new (await import('@opentelemetry/exporter-logs-otlp-http')).OTLPLogExporter();
  return new (await import('@opentelemetry/exporter-logs-otlp-proto')).OTLPLogExporter();
}

async function metricExporter(protocol: OtlpProtocol, env: NodeJS.ProcessEnv) {
  const temporalityPreference =
    env.OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE?.toLowerCase() === 'delta'
      ? AggregationTemporality.DELTA
      : AggregationTemporality.CUMULATIVE;
  const options = { temporalityPreference };
  if (protocol === 'grpc')
    return new (await import('@opentelemetry/exporter-metrics-otlp-grpc')).OTLPMetricExporter(options);
  if (protocol === 'http/json')
    return new (await import('@opentelemetry/exporter-metrics-otlp-http')).OTLPMetricExporter(options);
  return new (await import('@opentelemetry/exporter-metrics-otlp-proto')).OTLPMetricExporter(options);
}

/**
 * Metric views. The database conventions' `db.client.connection.count` (db-telemetry.ts) would be exposed as
 * `db_client_connection_count`, a name Prometheus reads as the `_count` series of a histogram (promtool's lint
 * refuses it): it is served as `db.client.connections.usage`, its earlier semantic-conventions name.
 */
export const METRIC_VIEWS: ViewOptions[] = [
  { instrumentName: 'db.client.connection.count', name: 'db.client.connections.usage' },
];

/**
 * The instrumentations the settings ask for (OTEL_NODE_ENABLED/DISABLED_INSTRUMENTATIONS), configured. `http`
 * and `pg` are not among them: those names select the kit's own HTTP and database telemetry
 * (http-telemetry.ts, db-telemetry.ts), which `startTelemetry` turns on.
 */
export function instrumentationsFor(
  settings: Pick<TelemetryEnv, 'instrumentations' | 'exportLogs'>,
): Instrumentation[] {
  const wanted = settings.instrumentations;
  const all: Instrumentation[] = [];
  // The gateway's proxy names its calls by route template (`withClientRoute`).
  if (wanted.has('undici')) all.push(new UndiciInstrumentation({ requestHook: nameUndiciClientSpan }));
  if (wanted.has('pino'))
    all.push(
      new PinoInstrumentation({
        logKeys: { traceId: 'trace_id', spanId: 'span_id', traceFlags: 'trace_flags' },
        disableLogSending: !settings.exportLogs,
      }),
    );
  return all;
}

/** Starts the SDK for this process. Idempotent: a second call returns the running instance. */
export async function startTelemetry(options: TelemetryOptions): Promise<Telemetry> {
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
  const settings = readTelemetryEnv(env);
  for (const warning of settings.warnings) diag.warn(warning);
  if (settings.warnings.length > 0 && !env.OTEL_LOG_LEVEL) {
    process.emitWarning(`telemetry settings: ${settings.warnings.join('; ')}`);
  }

  const serviceName = env.OTEL_SERVICE_NAME ?? options.serviceName;
  const resource = resourceFromAttributes({
    ...parseResourceAttributes(env.OTEL_RESOURCE_ATTRIBUTES),
    [ATTR_SERVICE_NAME]: serviceName,
    [ATTR_SERVICE_VERSION]: options.serviceVersion ?? env.SERVICE_VERSION ?? '0.1.0',
    'service.namespace': 'glassbox',
    'service.instance.id': env.SERVICE_INSTANCE_ID ?? randomUUID(),
    'deployment.environment.name': env.DEPLOYMENT_ENVIRONMENT ?? 'local',
  });

  // Traces: every one kept (the standard sampler variables), or the production policy (production-policy.ts).
  setSlowStatementThreshold(settings.dbSlowStatementMs);
  const policy = settings.tracesPolicy;
  const spanProcessors: SpanProcessor[] = [];
  if (settings.exportTraces) {
    const batch = new BatchSpanProcessor({
      exporter: await traceExporter(settings.protocol.TRACES),
      ...settings.spanBatch,
    });
    // Idle rounds of periodic workers are dropped first (idle-rounds.ts), whatever the policy.
    spanProcessors.push(
      new DropIdleRoundsProcessor(
        policy.kind === 'production'
          ? new KeepErrorsAndSlowProcessor({ next: batch, slowMs: policy.slowMs })
          : batch,
      ),
    );
  }
  const tracerProvider = new TracerProvider({
    resource,
    sampler: policy.kind === 'production' ? productionSampler(policy.ratio) : samplerFor(settings.sampler),
    spanProcessors,
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(
    new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
  );
  trace.setGlobalTracerProvider(tracerProvider);

  // Metrics: always readable at /metrics; pushed over OTLP too when configured.
  const prometheus = new PrometheusExporter({ preventServerStart: true });
  const serializer = new PrometheusSerializer(undefined, false, undefined, false, false);
  const readers: IMetricReader[] = [prometheus];
  if (settings.exportMetrics) {
    readers.push(
      new PeriodicExportingMetricReader({
        exporter: await metricExporter(settings.protocol.METRICS, env),
        exportIntervalMillis: settings.metricIntervalMillis,
      }),
    );
  }
  const meterProvider = new MeterProvider({ resource, readers, views: METRIC_VIEWS });
  metrics.setGlobalMeterProvider(meterProvider);
  const eventLoop = recordEventLoopDelay(meterProvider.getMeter('glassbox.runtime'));
  const v8Runtime = recordV8Runtime(meterProvider.getMeter('glassbox.runtime'));
  recordProcessCpu(meterProvider.getMeter('glassbox.runtime'));
  recordProcessMemory(meterProvider.getMeter('glassbox.runtime'));

  // Logs: pino records reach OTLP through the pino instrumentation when a log exporter is configured.
  let loggerProvider: LoggerProvider | undefined;
  if (settings.exportLogs) {
    loggerProvider = new LoggerProvider({
      resource,
      processors: [
        new BatchLogRecordProcessor({
          exporter: await logExporter(settings.protocol.LOGS),
          ...settings.logBatch,
        }),
      ],
    });
    logs.setGlobalLoggerProvider(loggerProvider);
  }

  registerInstrumentations({
    tracerProvider,
    meterProvider,
    instrumentations: instrumentationsFor(settings),
  });
  if (settings.instrumentations.has('http')) startHttpTelemetry();
  if (settings.instrumentations.has('pg')) startDbTelemetry();

  let stopped: Promise<void> | undefined;
  current = {
    serviceName,
    exporting: settings.exportTraces,
    async prometheusText() {
      const { resourceMetrics, errors } = await prometheus.collect();
      if (errors.length > 0) diag.warn('metric collection errors', errors);
      return serializer.serialize(resourceMetrics);
    },
    shutdown() {
      eventLoop.stop();
      v8Runtime.stop();
      stopped ??= Promise.allSettled([
        tracerProvider.shutdown(),
        meterProvider.shutdown(),
        loggerProvider?.shutdown(),
      ]).then((results) => {
        for (const r of results)
          if (r.status === 'rejected') diag.error('telemetry shutdown failed', r.reason);
      });
      return stopped;
    },
  };
  return current;
}

/** `key=value,key2=value2` (values percent-encoded) as OTEL_RESOURCE_ATTRIBUTES defines it. */
export function parseResourceAttributes(raw: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!raw) return out;
  for (const pair of raw.split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const key = pair.slice(0, eq).trim();
    try {
      out[key] = decodeURIComponent(pair.slice(eq + 1).trim());
    } catch {
      out[key] = pair.slice(eq + 1).trim();
    }
  }
  return out;
}
