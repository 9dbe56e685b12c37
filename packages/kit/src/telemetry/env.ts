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

/**
 * Which traces are kept (`GLASSBOX_TRACES_POLICY`): `full` follows OTEL_TRACES_SAMPLER (every trace by
 * default); `production` keeps `ratio` of normal traces (`GLASSBOX_TRACES_KEEP_RATIO`, 0.1) and every trace
 * with an error or a span of at least `slowMs` (`GLASSBOX_TRACES_SLOW_MS`, 1000) — see production-policy.ts.
 */
export type TracesPolicy = { kind: 'full' } | { kind: 'production'; ratio: number; slowMs: number };

/**
 * The batch span processor's settings unless OTEL_BSP_* say otherwise: larger batches than the SDK's
 * (512 every 5 s, queue 2048) so that a busy service makes fewer, larger exports, and a queue that holds a
 * few seconds of a checkout burst instead of dropping spans.
 */
export const SPAN_BATCH_DEFAULTS: Required<Omit<BatchSettings, 'exportTimeoutMillis'>> = {
  scheduledDelayMillis: 2_000,
  maxQueueSize: 16_384,
  maxExportBatchSize: 2_048,
};

export interface TelemetryEnv {
  sampler: SamplerSetting;
  tracesPolicy: TracesPolicy;
  /** A statement inside a transaction this slow gets a span of its own (`GLASSBOX_DB_SLOW_STATEMENT_MS`). */
  dbSlowStatementMs: number;
  exportTraces: boolean;
  exportMetrics: boolean;
  exportLogs: boolean;
  protocol: Record<Signal, OtlpProtocol>;
  spanBatch: BatchSettings;
  logBatch: BatchSettings;
  metricIntervalMillis: number;
  /**
   * The instrumentations to register: all of INSTRUMENTATION_NAMES unless OTEL_NODE_ENABLED_INSTRUMENTATIONS
   * lists some (only those) or OTEL_NODE_DISABLED_INSTRUMENTATIONS removes some — the variables and names
   * (without the `@opentelemetry/instrumentation-` prefix) of `@opentelemetry/auto-instrumentations-node`.
   */
  instrumentations: ReadonlySet<InstrumentationName>;
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
/** The instrumentations the kit registers, by their auto-instrumentations-node names. */
export const INSTRUMENTATION_NAMES = ['http', 'undici', 'pg', 'pino'] as const;
export type InstrumentationName = (typeof INSTRUMENTATION_NAMES)[number];

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
  const batch = (prefix: 'OTEL_BSP' | 'OTEL_BLRP', defaults: BatchSettings = {}): BatchSettings => {
    const settings: BatchSettings = { ...defaults };
    const delay = int(`${prefix}_SCHEDULE_DELAY`, 0);
    const queue = int(`${prefix}_MAX_QUEUE_SIZE`, 1);
    const size = int(`${prefix}_MAX_EXPORT_BATCH_SIZE`, 1);
    const timeout = int(`${prefix}_EXPORT_TIMEOUT`, 0);
    if (delay !== undefined) settings.scheduledDelayMillis = delay;
    if (queue !== undefined) settings.maxQueueSize = queue;
    if (size !== undefined) settings.maxExportBatchSize = size;
    if (settings.maxExportBatchSize !== undefined && settings.maxQueueSize !== undefined)
      settings.maxExportBatchSize = Math.min(settings.maxExportBatchSize, settings.maxQueueSize);
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
    tracesPolicy: readPolicy(env, warnings),
    dbSlowStatementMs: int('GLASSBOX_DB_SLOW_STATEMENT_MS', 0) ?? 100,
    exportTraces: exporterOn('OTEL_TRACES_EXPORTER', 'TRACES'),
    exportMetrics: exporterOn('OTEL_METRICS_EXPORTER', 'METRICS'),
    exportLogs: exporterOn('OTEL_LOGS_EXPORTER', 'LOGS'),
    protocol: { TRACES: protocolOf('TRACES'), METRICS: protocolOf('METRICS'), LOGS: protocolOf('LOGS') },
    spanBatch: batch('OTEL_BSP', SPAN_BATCH_DEFAULTS),
    logBatch: batch('OTEL_BLRP'),
    metricIntervalMillis: int('OTEL_METRIC_EXPORT_INTERVAL', 100) ?? 15_000,
    instrumentations: readInstrumentations(env, warnings),
    warnings,
  };
}

function readInstrumentations(env: NodeJS.ProcessEnv, warnings: string[]): Set<InstrumentationName> {
  const known = new Set<string>(INSTRUMENTATION_NAMES);
  const list = (variable: string): InstrumentationName[] | undefined => {
    const raw = env[variable];
    if (raw === undefined || raw.trim() === '') return undefined;
    const names: InstrumentationName[] = [];
    for (const name of raw.split(',').map((s) => s.trim().toLowerCase())) {
      if (name === '') continue;
      if (known.has(name)) names.push(name as InstrumentationName);
      else
        warnings.push(
          `${variable}: unknown instrumentation ${JSON.stringify(name)} (known: ${INSTRUMENTATION_NAMES.join(', ')})`,
        );
    }
    return names;
  };
  const enabled = new Set(list('OTEL_NODE_ENABLED_INSTRUMENTATIONS') ?? INSTRUMENTATION_NAMES);
  for (const name of list('OTEL_NODE_DISABLED_INSTRUMENTATIONS') ?? []) enabled.delete(name);
  return enabled;
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

function readPolicy(env: NodeJS.ProcessEnv, warnings: string[]): TracesPolicy {
  const name = (env.GLASSBOX_TRACES_POLICY ?? '').trim().toLowerCase() || 'full';
  if (name === 'full') return { kind: 'full' };
  if (name !== 'production') {
    warnings.push(`GLASSBOX_TRACES_POLICY=${JSON.stringify(name)} is not full or production; using full`);
    return { kind: 'full' };
  }
  let ratio = 0.1;
  const rawRatio = env.GLASSBOX_TRACES_KEEP_RATIO;
  if (rawRatio !== undefined && rawRatio !== '') {
    const n = Number(rawRatio);
    if (Number.isFinite(n) && n >= 0 && n <= 1) ratio = n;
    else
      warnings.push(
        `GLASSBOX_TRACES_KEEP_RATIO=${JSON.stringify(rawRatio)} is not a ratio in [0, 1]; using 0.1`,
      );
  }
  let slowMs = 1_000;
  const rawSlow = env.GLASSBOX_TRACES_SLOW_MS;
  if (rawSlow !== undefined && rawSlow !== '') {
    const n = Number(rawSlow);
    if (Number.isInteger(n) && n >= 0) slowMs = n;
    else
      warnings.push(`GLASSBOX_TRACES_SLOW_MS=${JSON.stringify(rawSlow)} is not an integer ≥ 0; using 1000`);
  }
  if (env.OTEL_TRACES_SAMPLER) {
    warnings.push('GLASSBOX_TRACES_POLICY=production replaces OTEL_TRACES_SAMPLER, which is ignored');
  }
  return { kind: 'production', ratio, slowMs };
}
