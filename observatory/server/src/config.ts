import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  durationMs,
  EVALUATION_INTERVAL,
  MIN_SCALED_INTERVAL_MS,
  parseTimeScale,
} from '@glassbox/contracts/slo-policy';
import { DEFAULT_TAIL_SAMPLING, type TailSamplingSettings } from './ingest/tail-sampler.js';

export interface ObservatoryConfig {
  /** Interface the three listeners bind to. */
  host: string;
  /** Console + query API (+ OTLP/HTTP too, see `otlpOnConsolePort`). 0 = any free port. */
  port: number;
  otlpHttpPort: number;
  otlpGrpcPort: number;
  /** Also accept OTLP/HTTP on the console port. */
  otlpOnConsolePort: boolean;
  /** DuckDB file path, or `:memory:`. */
  dbPath: string;
  retentionHours: number;
  maxBytes: number;
  retentionIntervalMs: number;
  maxBodyBytes: number;
  maxDecompressedBytes: number;
  maxInFlightRequests: number;
  queueMaxRows: number;
  queueMaxBytes: number;
  flushRows: number;
  flushIntervalMs: number;
  retryAfterSeconds: number;
  duckdbMemoryLimit: string;
  duckdbThreads: number | undefined;
  /** DuckDB `wal_autocheckpoint`: WAL size that triggers a checkpoint. */
  duckdbWalCheckpoint: string;
  /** Built console to serve at `/` (skipped when the folder does not exist). */
  webDist: string;
  logLevel: string;
  /** Embedded alerting (alerting/): off when false, or when the default rules folder does not exist. */
  alerting: boolean;
  /** Prometheus rule files evaluated in embedded mode. */
  rulesDir: string;
  /** Whether `rulesDir` was set explicitly (then it must exist). */
  rulesDirExplicit: boolean;
  /** Rule evaluation interval, already divided by the time scale. */
  alertIntervalMs: number;
  /** `GLASSBOX_SLO_TIME_SCALE`: every window and `for` divided by it (1 = real time). */
  timeScale: number;
  alertWebhooks: string[];
  alertmanagerUrl: string | undefined;
  /** Supervisor control API (`up` and restarts of the processes). */
  controlUrl: string | undefined;
  /** The healer, whose audit log the Remediations page shows (`GET /api/remediations` is read through). */
  healerUrl: string | undefined;
  alertHistory: number;
  /** Base URL of the console in notifications; default http://<host>:<port>. */
  externalUrl: string | undefined;
  /** Runbook pages the alerts link to, served at `/docs/runbooks/<page>.md`. */
  runbooksDir: string;
  /** Tail-based sampling of traces (ingest/tail-sampler.ts); undefined = every span stored. */
  tailSampling: TailSamplingSettings | undefined;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid observatory configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const MiB = 1024 * 1024;
const DEFAULT_WEB_DIST = fileURLToPath(new URL('../../web/dist', import.meta.url));
/** `<repo root>/.glassbox/observatory`, wherever the process is started from (as the CLI's state dir). */
const DEFAULT_DATA_DIR = fileURLToPath(new URL('../../../.glassbox/observatory', import.meta.url));
/** The committed rule files, compiled from slo/ (`npm run glassbox -- slo build`). */
const DEFAULT_RULES_DIR = fileURLToPath(new URL('../../../deploy/prometheus/rules', import.meta.url));
const DEFAULT_RUNBOOKS_DIR = fileURLToPath(new URL('../../../docs/runbooks', import.meta.url));

export const DEFAULT_CONFIG: ObservatoryConfig = {
  host: '127.0.0.1',
  port: 3000,
  otlpHttpPort: 4318,
  otlpGrpcPort: 4317,
  otlpOnConsolePort: true,
  dbPath: join(DEFAULT_DATA_DIR, 'telemetry.duckdb'),
  retentionHours: 24,
  maxBytes: 512 * MiB,
  retentionIntervalMs: 30_000,
  maxBodyBytes: 8 * MiB,
  maxDecompressedBytes: 32 * MiB,
  maxInFlightRequests: 32,
  queueMaxRows: 200_000,
  queueMaxBytes: 128 * MiB,
  flushRows: 8192,
  flushIntervalMs: 250,
  retryAfterSeconds: 1,
  duckdbMemoryLimit: '1GB',
  duckdbThreads: undefined,
  duckdbWalCheckpoint: '64MB',
  webDist: DEFAULT_WEB_DIST,
  logLevel: 'info',
  alerting: true,
  rulesDir: DEFAULT_RULES_DIR,
  rulesDirExplicit: false,
  alertIntervalMs: durationMs(EVALUATION_INTERVAL),
  timeScale: 1,
  alertWebhooks: [],
  alertmanagerUrl: undefined,
  controlUrl: undefined,
  healerUrl: undefined,
  alertHistory: 1000,
  externalUrl: undefined,
  runbooksDir: DEFAULT_RUNBOOKS_DIR,
  tailSampling: undefined,
};

/**
 * The evaluation interval under a time scale: divided by it, but never below 1 s by scaling alone (the scaled
 * rule files use the same interval, so both evaluators step alike).
 */
export function scaledIntervalMs(baseMs: number, scale: number): number {
  if (scale === 1) return baseMs;
  return Math.max(Math.min(baseMs, MIN_SCALED_INTERVAL_MS), Math.round(baseMs / scale));
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kb: 1000,
  mb: 1000 ** 2,
  gb: 1000 ** 3,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

type Env = Record<string, string | undefined>;

/**
 * Reads and validates the configuration from environment variables; every bad value is reported
 * at once in a `ConfigError`. Variables (default):
 *
 * - `OBSERVATORY_HOST`, else `HOST` (127.0.0.1) — interface for all listeners
 * - `OBSERVATORY_PORT` (3000), `OTLP_HTTP_PORT` (4318), `OTLP_GRPC_PORT` (4317); 0 = any free port
 * - `OBSERVATORY_OTLP_ON_CONSOLE_PORT` (true) — also accept OTLP/HTTP on the console port
 * - `OBSERVATORY_DATA_DIR` (<repo>/.glassbox/observatory) — holds `telemetry.duckdb`;
 *   `OBSERVATORY_DB` — a DuckDB file path, or `:memory:`
 * - `OBSERVATORY_RETENTION_HOURS` (24, fractions allowed), `OBSERVATORY_MAX_BYTES` (512MiB),
 *   `OBSERVATORY_RETENTION_INTERVAL_MS` (30000)
 * - `OTLP_MAX_BODY_BYTES` (8MiB, on the wire), `OTLP_MAX_DECOMPRESSED_BYTES` (32MiB),
 *   `OTLP_MAX_IN_FLIGHT` (32 HTTP requests being read/decoded), `OTLP_RETRY_AFTER_SECONDS` (1)
 * - `OBSERVATORY_QUEUE_MAX_ROWS` (200000), `OBSERVATORY_QUEUE_MAX_BYTES` (128MiB) — accepted but
 *   uncommitted rows before back-pressure; `OBSERVATORY_FLUSH_ROWS` (8192),
 *   `OBSERVATORY_FLUSH_INTERVAL_MS` (250) — commit cadence
 * - `OBSERVATORY_DUCKDB_MEMORY_LIMIT` (1GB), `OBSERVATORY_DUCKDB_THREADS` (DuckDB's default),
 *   `OBSERVATORY_DUCKDB_WAL_CHECKPOINT` (64MB) — WAL size at which DuckDB checkpoints
 * - `OBSERVATORY_WEB_DIST` (observatory/web/dist), `LOG_LEVEL` (info)
 * - `OBSERVATORY_ALERTING` (true), `OBSERVATORY_RULES_DIR` (<repo>/deploy/prometheus/rules),
 *   `OBSERVATORY_ALERT_INTERVAL` (15s, a Prometheus duration, divided by `GLASSBOX_SLO_TIME_SCALE` (1)),
 *   `OBSERVATORY_ALERT_WEBHOOKS` (comma-separated URLs, Alertmanager webhook v4), `ALERTMANAGER_URL`,
 *   `CONTROL_URL` (the supervisor's control API), `HEALER_URL` (the healer: the Remediations page), `OBSERVATORY_ALERT_HISTORY` (1000 transitions kept),
 *   `OBSERVATORY_EXTERNAL_URL` (the console's URL in notifications), `OBSERVATORY_RUNBOOKS_DIR`
 *   (<repo>/docs/runbooks, served at /docs/runbooks/<page>.md for the alerts' runbook links)
 * - `OBSERVATORY_TAIL_SAMPLING` (false) — tail-based sampling of traces: keep every trace with an error or
 *   lasting `OBSERVATORY_TAIL_SAMPLING_LATENCY_MS` (1000), and `OBSERVATORY_TAIL_SAMPLING_RATIO` (0.1) of the
 *   rest, decided once a trace has had no new span for `OBSERVATORY_TAIL_SAMPLING_IDLE_MS` (5000); at most
 *   `OBSERVATORY_TAIL_SAMPLING_MAX_SPANS` (200000) spans held
 *
 * Byte sizes accept plain bytes or KB/MB/GB (powers of 1000) and KiB/MiB/GiB (powers of 1024).
 */
export function loadConfig(env: Env = process.env): ObservatoryConfig {
  const problems: string[] = [];
  const read = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v === undefined || v === '' ? undefined : v;
  };

  const int = (name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min || n > max) {
      problems.push(`${name}: expected an integer in ${min}..${max}, got ${JSON.stringify(raw)}`);
      return fallback;
    }
    return n;
  };

  const positive = (name: string, fallback: number): number => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0) {
      problems.push(`${name}: expected a positive number, got ${JSON.stringify(raw)}`);
      return fallback;
    }
    return n;
  };

  const bytes = (name: string, fallback: number, min: number): number => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(raw);
    const unit = m ? SIZE_UNITS[m[2]!.toLowerCase()] : undefined;
    const n = m && unit !== undefined ? Math.floor(Number(m[1]) * unit) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min) {
      problems.push(
        `${name}: expected a byte size of at least ${min} (e.g. 536870912, 512MiB, 1GB), got ${JSON.stringify(raw)}`,
      );
      return fallback;
    }
    return n;
  };

  const bool = (name: string, fallback: boolean): boolean => {
    const raw = read(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
    if (['0', 'false', 'no', 'off'].includes(raw)) return false;
    problems.push(`${name}: expected true or false, got ${JSON.stringify(raw)}`);
    return fallback;
  };

  const fraction = (name: string, fallback: number): number => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0 || n > 1) {
      problems.push(`${name}: expected a ratio from 0 to 1 (e.g. 0.1), got ${JSON.stringify(raw)}`);
      return fallback;
    }
    return n;
  };
  const t = DEFAULT_TAIL_SAMPLING;
  const tailSampling = (): TailSamplingSettings => ({
    idleMs: int('OBSERVATORY_TAIL_SAMPLING_IDLE_MS', t.idleMs, 10),
    latencyMs: int('OBSERVATORY_TAIL_SAMPLING_LATENCY_MS', t.latencyMs, 0),
    keepRatio: fraction('OBSERVATORY_TAIL_SAMPLING_RATIO', t.keepRatio),
    maxSpans: int('OBSERVATORY_TAIL_SAMPLING_MAX_SPANS', t.maxSpans, 1),
  });

  const d = DEFAULT_CONFIG;
  const port = (name: string, fallback: number) => int(name, fallback, 0, 65535);
  const dataDir = read('OBSERVATORY_DATA_DIR');
  const db = read('OBSERVATORY_DB');
  const dbPath =
    db === ':memory:'
      ? ':memory:'
      : db !== undefined
        ? resolve(db)
        : dataDir !== undefined
          ? resolve(join(dataDir, 'telemetry.duckdb'))
          : d.dbPath;
  const threads = read('OBSERVATORY_DUCKDB_THREADS');
  const duckdbSize = (name: string, fallback: string): string => {
    const v = read(name) ?? fallback;
    if (!/^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.test(v)) {
      problems.push(`${name}: expected a size like 1GB or 512MiB, got ${JSON.stringify(v)}`);
    }
    return v;
  };
  const memoryLimit = duckdbSize('OBSERVATORY_DUCKDB_MEMORY_LIMIT', d.duckdbMemoryLimit);
  const walCheckpoint = duckdbSize('OBSERVATORY_DUCKDB_WAL_CHECKPOINT', d.duckdbWalCheckpoint);
  const logLevel = read('LOG_LEVEL') ?? d.logLevel;
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    problems.push(
      `LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent, got ${JSON.stringify(logLevel)}`,
    );
  }

  const url = (name: string): string | undefined => {
    const raw = read(name);
    if (raw === undefined) return undefined;
    try {
      const u = new URL(raw);
      if (u.protocol === 'http:' || u.protocol === 'https:') return raw.replace(/\/+$/, '');
    } catch {
      // reported below
    }
    problems.push(`${name}: expected an http(s) URL, got ${JSON.stringify(raw)}`);
    return undefined;
  };
  let timeScale = d.timeScale;
  try {
    timeScale = parseTimeScale(env.GLASSBOX_SLO_TIME_SCALE);
  } catch (err) {
    problems.push((err as Error).message);
  }
  let alertIntervalMs = d.alertIntervalMs;
  const rawInterval = read('OBSERVATORY_ALERT_INTERVAL');
  if (rawInterval !== undefined) {
    try {
      alertIntervalMs = durationMs(rawInterval);
      if (alertIntervalMs < 10) throw new Error('too short');
    } catch {
      problems.push(
        `OBSERVATORY_ALERT_INTERVAL: expected a duration of at least 10ms like 15s or 500ms, got ${JSON.stringify(rawInterval)}`,
      );
    }
  }
  const webhooks = (read('OBSERVATORY_ALERT_WEBHOOKS') ?? '')
    .split(',')
    .map((w) => w.trim())
    .filter((w) => w !== '')
    .flatMap((w) => {
      try {
        const u = new URL(w);
        if (u.protocol === 'http:' || u.protocol === 'https:') return [w];
      } catch {
        // reported below
      }
      problems.push(
        `OBSERVATORY_ALERT_WEBHOOKS: expected comma-separated http(s) URLs, got ${JSON.stringify(w)}`,
      );
      return [];
    });
  const rulesDir = read('OBSERVATORY_RULES_DIR');

  const config: ObservatoryConfig = {
    host: read('OBSERVATORY_HOST') ?? read('HOST') ?? d.host,
    port: port('OBSERVATORY_PORT', d.port),
    otlpHttpPort: port('OTLP_HTTP_PORT', d.otlpHttpPort),
    otlpGrpcPort: port('OTLP_GRPC_PORT', d.otlpGrpcPort),
    otlpOnConsolePort: bool('OBSERVATORY_OTLP_ON_CONSOLE_PORT', d.otlpOnConsolePort),
    dbPath,
    retentionHours: positive('OBSERVATORY_RETENTION_HOURS', d.retentionHours),
    maxBytes: bytes('OBSERVATORY_MAX_BYTES', d.maxBytes, MiB),
    retentionIntervalMs: int('OBSERVATORY_RETENTION_INTERVAL_MS', d.retentionIntervalMs, 100),
    maxBodyBytes: bytes('OTLP_MAX_BODY_BYTES', d.maxBodyBytes, 1024),
    maxDecompressedBytes: bytes('OTLP_MAX_DECOMPRESSED_BYTES', d.maxDecompressedBytes, 1024),
    maxInFlightRequests: int('OTLP_MAX_IN_FLIGHT', d.maxInFlightRequests, 1),
    queueMaxRows: int('OBSERVATORY_QUEUE_MAX_ROWS', d.queueMaxRows, 1),
    queueMaxBytes: bytes('OBSERVATORY_QUEUE_MAX_BYTES', d.queueMaxBytes, 1024),
    flushRows: int('OBSERVATORY_FLUSH_ROWS', d.flushRows, 1),
    flushIntervalMs: int('OBSERVATORY_FLUSH_INTERVAL_MS', d.flushIntervalMs, 1),
    retryAfterSeconds: int('OTLP_RETRY_AFTER_SECONDS', d.retryAfterSeconds, 1, 3600),
    duckdbMemoryLimit: memoryLimit,
    duckdbThreads: threads === undefined ? undefined : int('OBSERVATORY_DUCKDB_THREADS', 1, 1, 1024),
    duckdbWalCheckpoint: walCheckpoint,
    webDist: read('OBSERVATORY_WEB_DIST') !== undefined ? resolve(read('OBSERVATORY_WEB_DIST')!) : d.webDist,
    logLevel,
    alerting: bool('OBSERVATORY_ALERTING', d.alerting),
    rulesDir: rulesDir !== undefined ? resolve(rulesDir) : d.rulesDir,
    rulesDirExplicit: rulesDir !== undefined,
    alertIntervalMs: scaledIntervalMs(alertIntervalMs, timeScale),
    timeScale,
    alertWebhooks: webhooks,
    alertmanagerUrl: url('ALERTMANAGER_URL'),
    controlUrl: url('CONTROL_URL'),
    healerUrl: url('HEALER_URL'),
    alertHistory: int('OBSERVATORY_ALERT_HISTORY', d.alertHistory, 1, 100_000),
    externalUrl: url('OBSERVATORY_EXTERNAL_URL'),
    runbooksDir:
      read('OBSERVATORY_RUNBOOKS_DIR') !== undefined
        ? resolve(read('OBSERVATORY_RUNBOOKS_DIR')!)
        : d.runbooksDir,
    tailSampling: bool('OBSERVATORY_TAIL_SAMPLING', false) ? tailSampling() : undefined,
  };
  if (config.maxDecompressedBytes < config.maxBodyBytes) {
    problems.push(
      `OTLP_MAX_DECOMPRESSED_BYTES (${config.maxDecompressedBytes}) must be at least OTLP_MAX_BODY_BYTES (${config.maxBodyBytes})`,
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
