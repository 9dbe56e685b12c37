import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_CONFIG, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('uses the documented defaults', () => {
    const c = loadConfig({});
    expect(c).toEqual(DEFAULT_CONFIG);
    expect(c).toMatchObject({
      port: 3000,
      otlpHttpPort: 4318,
      otlpGrpcPort: 4317,
      retentionHours: 24,
      maxBytes: 512 * 1024 * 1024,
      maxBodyBytes: 8 * 1024 * 1024,
      dbPath: fileURLToPath(new URL('../../../.glassbox/observatory/telemetry.duckdb', import.meta.url)),
    });
  });

  it('reads tail sampling: off by default, its defaults when on, each setting, bad values named', () => {
    expect(loadConfig({}).tailSampling).toBeUndefined();
    expect(loadConfig({ OBSERVATORY_TAIL_SAMPLING: 'true' }).tailSampling).toEqual({
      idleMs: 5000,
      latencyMs: 1000,
      keepRatio: 0.1,
      maxSpans: 200_000,
    });
    expect(
      loadConfig({
        OBSERVATORY_TAIL_SAMPLING: 'on',
        OBSERVATORY_TAIL_SAMPLING_IDLE_MS: '2000',
        OBSERVATORY_TAIL_SAMPLING_LATENCY_MS: '300',
        OBSERVATORY_TAIL_SAMPLING_RATIO: '0.05',
        OBSERVATORY_TAIL_SAMPLING_MAX_SPANS: '5000',
      }).tailSampling,
    ).toEqual({ idleMs: 2000, latencyMs: 300, keepRatio: 0.05, maxSpans: 5000 });
    expect(() =>
      loadConfig({ OBSERVATORY_TAIL_SAMPLING: 'true', OBSERVATORY_TAIL_SAMPLING_RATIO: '10%' }),
    ).toThrow(/OBSERVATORY_TAIL_SAMPLING_RATIO: expected a ratio/);
  });

  it('reads every variable, with byte sizes in units', () => {
    const c = loadConfig({
      OBSERVATORY_HOST: '0.0.0.0',
      OBSERVATORY_PORT: '0',
      OTLP_HTTP_PORT: '14318',
      OTLP_GRPC_PORT: '14317',
      OBSERVATORY_DATA_DIR: '/tmp/obs-data',
      OBSERVATORY_RETENTION_HOURS: '0.5',
      OBSERVATORY_MAX_BYTES: '64MiB',
      OTLP_MAX_BODY_BYTES: '1MB',
      OTLP_MAX_DECOMPRESSED_BYTES: '4194304',
      OBSERVATORY_QUEUE_MAX_ROWS: '1000',
      OBSERVATORY_OTLP_ON_CONSOLE_PORT: 'false',
      OBSERVATORY_DUCKDB_THREADS: '2',
      OBSERVATORY_DUCKDB_WAL_CHECKPOINT: '128MiB',
      LOG_LEVEL: 'debug',
    });
    expect(c).toMatchObject({
      host: '0.0.0.0',
      port: 0,
      otlpHttpPort: 14318,
      otlpGrpcPort: 14317,
      dbPath: '/tmp/obs-data/telemetry.duckdb',
      retentionHours: 0.5,
      maxBytes: 64 * 1024 * 1024,
      maxBodyBytes: 1_000_000,
      maxDecompressedBytes: 4_194_304,
      queueMaxRows: 1000,
      otlpOnConsolePort: false,
      duckdbThreads: 2,
      duckdbWalCheckpoint: '128MiB',
      logLevel: 'debug',
    });
    expect(loadConfig({ OBSERVATORY_DB: ':memory:', OBSERVATORY_DATA_DIR: '/x' }).dbPath).toBe(':memory:');
    expect(loadConfig({ HOST: '::1' }).host).toBe('::1');
    expect(loadConfig({ HOST: '::1', OBSERVATORY_HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
  });

  it('refuses bad values with one clear message listing every problem', () => {
    let err: unknown;
    try {
      loadConfig({
        OBSERVATORY_PORT: '80a',
        OBSERVATORY_RETENTION_HOURS: '-1',
        OBSERVATORY_MAX_BYTES: 'lots',
        OBSERVATORY_OTLP_ON_CONSOLE_PORT: 'maybe',
        OTLP_MAX_BODY_BYTES: '64MiB',
        OTLP_MAX_DECOMPRESSED_BYTES: '1MiB',
        LOG_LEVEL: 'loud',
        OBSERVATORY_DUCKDB_WAL_CHECKPOINT: 'big',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const { problems, message } = err as ConfigError;
    expect(problems).toHaveLength(7);
    expect(message).toMatch(/^Invalid observatory configuration:/);
    expect(message).toContain('OBSERVATORY_PORT: expected an integer in 0..65535, got "80a"');
    expect(message).toContain('OBSERVATORY_RETENTION_HOURS: expected a positive number, got "-1"');
    expect(message).toContain('OBSERVATORY_MAX_BYTES: expected a byte size');
    expect(message).toContain('OBSERVATORY_OTLP_ON_CONSOLE_PORT: expected true or false');
    expect(message).toContain(
      'OTLP_MAX_DECOMPRESSED_BYTES (1048576) must be at least OTLP_MAX_BODY_BYTES (67108864)',
    );
    expect(message).toContain('LOG_LEVEL: expected one of');
    expect(message).toContain(
      'OBSERVATORY_DUCKDB_WAL_CHECKPOINT: expected a size like 1GB or 512MiB, got "big"',
    );
  });

  it('reads the alerting variables; the interval is divided by the time scale, not below 1 s by scaling', () => {
    expect(DEFAULT_CONFIG).toMatchObject({ alerting: true, alertIntervalMs: 15_000, timeScale: 1 });
    const c = loadConfig({
      GLASSBOX_SLO_TIME_SCALE: '60',
      OBSERVATORY_ALERT_WEBHOOKS: 'http://127.0.0.1:8089/hook, https://example.test/x',
      ALERTMANAGER_URL: 'http://127.0.0.1:9093/',
      CONTROL_URL: 'http://127.0.0.1:7070',
      HEALER_URL: 'http://127.0.0.1:8089',
      OBSERVATORY_RULES_DIR: '/tmp/rules',
      OBSERVATORY_ALERT_HISTORY: '50',
    });
    expect(c).toMatchObject({
      timeScale: 60,
      alertIntervalMs: 1000,
      alertWebhooks: ['http://127.0.0.1:8089/hook', 'https://example.test/x'],
      alertmanagerUrl: 'http://127.0.0.1:9093',
      controlUrl: 'http://127.0.0.1:7070',
      healerUrl: 'http://127.0.0.1:8089',
      rulesDir: '/tmp/rules',
      rulesDirExplicit: true,
      alertHistory: 50,
    });
    expect(loadConfig({ GLASSBOX_SLO_TIME_SCALE: '5' }).alertIntervalMs).toBe(3000);
    expect(
      loadConfig({ OBSERVATORY_ALERT_INTERVAL: '500ms', GLASSBOX_SLO_TIME_SCALE: '10' }).alertIntervalMs,
    ).toBe(500);
    expect(loadConfig({ OBSERVATORY_ALERTING: 'false' }).alerting).toBe(false);
  });

  it('refuses bad alerting values', () => {
    let err: unknown;
    try {
      loadConfig({
        GLASSBOX_SLO_TIME_SCALE: '0',
        OBSERVATORY_ALERT_INTERVAL: 'soon',
        OBSERVATORY_ALERT_WEBHOOKS: 'http://ok.test,ftp://nope',
        ALERTMANAGER_URL: 'localhost:9093',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const { problems } = err as ConfigError;
    expect(problems).toHaveLength(4);
    expect(problems.join('\n')).toContain(
      'GLASSBOX_SLO_TIME_SCALE: expected a number from 1 to 3600, got "0"',
    );
    expect(problems.join('\n')).toContain('OBSERVATORY_ALERT_INTERVAL: expected a duration');
    expect(problems.join('\n')).toContain(
      'OBSERVATORY_ALERT_WEBHOOKS: expected comma-separated http(s) URLs, got "ftp://nope"',
    );
    expect(problems.join('\n')).toContain('ALERTMANAGER_URL: expected an http(s) URL');
  });
});
