/**
 * The standard OTEL_* environment variables the SDK packages of the 3.x line no longer read themselves
 * (sampler, batch processor settings, which exporters and protocols), parsed into plain settings. Pure: the
 * telemetry module turns these into SDK objects, and the unit tests check every variable here.
 */

export type OtlpProtocol = 'http/protobuf' | 'http/json' | 'grpc';
export type Signal = 'TRACES' | 'METRICS' | 'LOGS';

export type SamplerSetting =
  | { kind: 'always_on' | 'always_off' }
  | { kind: 'traceidratio'; ratio: number }
  | { kind: 'parentbased_always_on' | 'parentbased_always_off' }
  | { kind: 'parentbased_traceidratio'; ratio: number };

export interface BatchSettings {
  scheduledDelayMillis?: number;
  maxQueueSize?: number;
  maxExportBatchSize?: number;
  exportTimeoutMillis?: number;
}

export interface TelemetryEnv {
  sampler: SamplerSetting;
  exportTraces: boolean;
  exportMetrics: boolean;
  exportLogs: boolean;
  protocol: Record<Signal, OtlpProtocol>;
  spanBatch: BatchSettings;
  logBatch: BatchSettings;
  metricIntervalMillis: number;
  /** Problems with the variables: reported once as a warning; the default is used instead. */
  warnings: string[];
}

const SAMPLERS = new Set([
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
]);
const PROTOCOLS = new Set<OtlpProtocol>(['http/protobuf', 'http/json', 'grpc']);

function otlpConfigured(env: NodeJS.ProcessEnv, signal: Signal): boolean {
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env[`OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`]);
}

/** Reads the telemetry settings from the environment; never throws (bad values fall back to defaults). */
export function readTelemetryEnv(env: NodeJS.ProcessEnv): TelemetryEnv {
  const warnings: string[] = [];
  const int = (name: string, min: number): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    const n = Number(raw);
    if (Number.isInteger(n) && n >= min) return n;
    warnings.push(`${name}=${JSON.stringify(raw)} is not an integer ≥ ${min}; using the default`);
    return undefined;
  };
  const batch = (prefix: 'OTEL_BSP' | 'OTEL_BLRP'): BatchSettings => {
    const settings: BatchSettings = {};
    const delay = int(`${prefix}_SCHEDULE_DELAY`, 0);
    const queue = int(`${prefix}_MAX_QUEUE_SIZE`, 1);
    const size = int(`${prefix}_MAX_EXPORT_BATCH_SIZE`, 1);
    const timeout = int(`${prefix}_EXPORT_TIMEOUT`, 0);
    if (delay !== undefined) settings.scheduledDelayMillis = delay;
    if (queue !== undefined) settings.maxQueueSize = queue;
    if (size !== undefined) settings.maxExportBatchSize = queue !== undefined ? Math.min(size, queue) : size;
    if (timeout !== undefined) settings.exportTimeoutMillis = timeout;
    return settings;
  };
  const protocolOf = (signal: Signal): OtlpProtocol => {
    const raw = env[`OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`] || env.OTEL_EXPORTER_OTLP_PROTOCOL;
    if (!raw) return 'http/protobuf';
    if (PROTOCOLS.has(raw as OtlpProtocol)) return raw as OtlpProtocol;
    warnings.push(`OTLP protocol ${JSON.stringify(raw)} is not one of ${[...PROTOCOLS].join(', ')}`);
    return 'http/protobuf';
  };
  const exporterOn = (variable: string, signal: Signal): boolean => {
    const raw = env[variable];
    if (!raw) return otlpConfigured(env, signal);
    const names = raw.split(',').map((s) => s.trim());
    return names.includes('otlp');
  };
  return {
    sampler: readSampler(env, warnings),
    exportTraces: exporterOn('OTEL_TRACES_EXPORTER', 'TRACES'),
    exportMetrics: exporterOn('OTEL_METRICS_EXPORTER', 'METRICS'),
    exportLogs: exporterOn('OTEL_LOGS_EXPORTER', 'LOGS'),
    protocol: { TRACES: protocolOf('TRACES'), METRICS: protocolOf('METRICS'), LOGS: protocolOf('LOGS') },
    spanBatch: batch('OTEL_BSP'),
    logBatch: batch('OTEL_BLRP'),
    metricIntervalMillis: int('OTEL_METRIC_EXPORT_INTERVAL', 100) ?? 15_000,
    warnings,
  };
}

function readSampler(env: NodeJS.ProcessEnv, warnings: string[]): SamplerSetting {
  const name = (env.OTEL_TRACES_SAMPLER ?? '').trim().toLowerCase() || 'parentbased_always_on';
  if (!SAMPLERS.has(name)) {
    warnings.push(
      `OTEL_TRACES_SAMPLER=${JSON.stringify(name)} is not supported; using parentbased_always_on`,
    );
    return { kind: 'parentbased_always_on' };
  }
  if (name !== 'traceidratio' && name !== 'parentbased_traceidratio') {
    return { kind: name as 'always_on' | 'always_off' | 'parentbased_always_on' | 'parentbased_always_off' };
  }
  const raw = env.OTEL_TRACES_SAMPLER_ARG;
  let ratio = 1;
  if (raw !== undefined && raw !== '') {
    const n = Number(raw);
    if (Number.isFinite(n) && n >= 0 && n <= 1) ratio = n;
    else warnings.push(`OTEL_TRACES_SAMPLER_ARG=${JSON.stringify(raw)} is not a ratio in [0, 1]; using 1`);
  }
  return { kind: name, ratio };
}
