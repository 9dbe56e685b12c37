import { describe, expect, it } from 'vitest';
import { readTelemetryEnv, SPAN_BATCH_DEFAULTS } from './env.js';

describe('readTelemetryEnv', () => {
  it('exports nothing without an endpoint, and every signal with one', () => {
    const none = readTelemetryEnv({});
    expect([none.exportTraces, none.exportMetrics, none.exportLogs]).toEqual([false, false, false]);
    const all = readTelemetryEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' });
    expect([all.exportTraces, all.exportMetrics, all.exportLogs]).toEqual([true, true, true]);
  });

  it('honours per-signal endpoints and the *_EXPORTER switches', () => {
    const traces = readTelemetryEnv({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://x:4318/v1/traces' });
    expect([traces.exportTraces, traces.exportMetrics, traces.exportLogs]).toEqual([true, false, false]);
    const off = readTelemetryEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_LOGS_EXPORTER: 'none',
      OTEL_METRICS_EXPORTER: 'prometheus',
    });
    expect([off.exportTraces, off.exportMetrics, off.exportLogs]).toEqual([true, false, false]);
    const on = readTelemetryEnv({ OTEL_METRICS_EXPORTER: 'prometheus,otlp' });
    expect(on.exportMetrics).toBe(true);
  });

  it('reads the protocol per signal, the general one otherwise, http/protobuf by default', () => {
    const env = readTelemetryEnv({
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'http/json',
    });
    expect(env.protocol).toEqual({ TRACES: 'grpc', METRICS: 'grpc', LOGS: 'http/json' });
    expect(readTelemetryEnv({}).protocol.TRACES).toBe('http/protobuf');
    const bad = readTelemetryEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: 'carrier-pigeon' });
    expect(bad.protocol.TRACES).toBe('http/protobuf');
    expect(bad.warnings.join()).toContain('carrier-pigeon');
  });

  it('parses the sampler and its ratio; a bad one falls back with a warning', () => {
    expect(readTelemetryEnv({}).sampler).toEqual({ kind: 'parentbased_always_on' });
    expect(
      readTelemetryEnv({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' })
        .sampler,
    ).toEqual({ kind: 'parentbased_traceidratio', ratio: 0.1 });
    expect(readTelemetryEnv({ OTEL_TRACES_SAMPLER: 'always_off' }).sampler).toEqual({ kind: 'always_off' });
    const badRatio = readTelemetryEnv({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '2' });
    expect(badRatio.sampler).toEqual({ kind: 'traceidratio', ratio: 1 });
    expect(badRatio.warnings.join()).toContain('OTEL_TRACES_SAMPLER_ARG');
    const unknown = readTelemetryEnv({ OTEL_TRACES_SAMPLER: 'jaeger_remote' });
    expect(unknown.sampler).toEqual({ kind: 'parentbased_always_on' });
    expect(unknown.warnings.join()).toContain('jaeger_remote');
  });

  it('reads the batch processor settings and keeps the batch within the queue', () => {
    const env = readTelemetryEnv({
      OTEL_BSP_SCHEDULE_DELAY: '200',
      OTEL_BSP_MAX_QUEUE_SIZE: '100',
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '512',
      OTEL_BLRP_EXPORT_TIMEOUT: '1000',
      OTEL_METRIC_EXPORT_INTERVAL: '5000',
    });
    expect(env.spanBatch).toEqual({ scheduledDelayMillis: 200, maxQueueSize: 100, maxExportBatchSize: 100 });
    expect(env.logBatch).toEqual({ exportTimeoutMillis: 1000 });
    expect(env.metricIntervalMillis).toBe(5000);
    const bad = readTelemetryEnv({ OTEL_BSP_SCHEDULE_DELAY: 'soon' });
    expect(bad.spanBatch).toEqual(SPAN_BATCH_DEFAULTS);
    expect(bad.warnings.join()).toContain('OTEL_BSP_SCHEDULE_DELAY');
  });

  it('batches spans larger than the SDK does unless OTEL_BSP_* say otherwise', () => {
    expect(readTelemetryEnv({}).spanBatch).toEqual({
      scheduledDelayMillis: 2000,
      maxQueueSize: 16384,
      maxExportBatchSize: 2048,
    });
    expect(readTelemetryEnv({ OTEL_BSP_MAX_QUEUE_SIZE: '1000' }).spanBatch).toMatchObject({
      maxQueueSize: 1000,
      maxExportBatchSize: 1000,
    });
  });

  it('reads the traces policy: full by default, production with its ratio and slow threshold', () => {
    expect(readTelemetryEnv({}).tracesPolicy).toEqual({ kind: 'full' });
    expect(readTelemetryEnv({ GLASSBOX_TRACES_POLICY: 'production' }).tracesPolicy).toEqual({
      kind: 'production',
      ratio: 0.1,
      slowMs: 1000,
    });
    const tuned = readTelemetryEnv({
      GLASSBOX_TRACES_POLICY: 'Production',
      GLASSBOX_TRACES_KEEP_RATIO: '0.25',
      GLASSBOX_TRACES_SLOW_MS: '300',
      OTEL_TRACES_SAMPLER: 'always_on',
    });
    expect(tuned.tracesPolicy).toEqual({ kind: 'production', ratio: 0.25, slowMs: 300 });
    expect(tuned.warnings.join()).toContain('OTEL_TRACES_SAMPLER, which is ignored');
    const bad = readTelemetryEnv({
      GLASSBOX_TRACES_POLICY: 'production',
      GLASSBOX_TRACES_KEEP_RATIO: '10%',
      GLASSBOX_TRACES_SLOW_MS: '-1',
    });
    expect(bad.tracesPolicy).toEqual({ kind: 'production', ratio: 0.1, slowMs: 1000 });
    expect(bad.warnings.join()).toMatch(/GLASSBOX_TRACES_KEEP_RATIO.*GLASSBOX_TRACES_SLOW_MS/);
    const unknown = readTelemetryEnv({ GLASSBOX_TRACES_POLICY: 'some' });
    expect(unknown.tracesPolicy).toEqual({ kind: 'full' });
    expect(unknown.warnings.join()).toContain('GLASSBOX_TRACES_POLICY');
  });

  it('reads the slow-statement threshold of traced transactions', () => {
    expect(readTelemetryEnv({}).dbSlowStatementMs).toBe(100);
    expect(readTelemetryEnv({ GLASSBOX_DB_SLOW_STATEMENT_MS: '25' }).dbSlowStatementMs).toBe(25);
    const bad = readTelemetryEnv({ GLASSBOX_DB_SLOW_STATEMENT_MS: 'fast' });
    expect(bad.dbSlowStatementMs).toBe(100);
    expect(bad.warnings.join()).toContain('GLASSBOX_DB_SLOW_STATEMENT_MS');
  });
});

describe('parseResourceAttributes', async () => {
  const { parseResourceAttributes } = await import('./index.js');
  it('reads key=value pairs, percent-decoded, and skips malformed ones', () => {
    expect(parseResourceAttributes('k8s.pod.name=web-1,team=shop%20core,broken,=x')).toEqual({
      'k8s.pod.name': 'web-1',
      team: 'shop core',
    });
    expect(parseResourceAttributes(undefined)).toEqual({});
  });
});
