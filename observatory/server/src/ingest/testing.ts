import type { FastifyInstance } from 'fastify';
import { type BoundPorts, buildObservatory, listenObservatory, type Observatory } from '../app.js';
import { DEFAULT_CONFIG, type ObservatoryConfig } from '../config.js';

/** Test support: an observatory on free loopback ports with an in-memory store. */
export interface RunningObservatory {
  obs: Observatory;
  ports: BoundPorts;
  config: ObservatoryConfig;
  httpUrl(path: string): string;
  /** Rows of a query against the store after the write queue has been flushed. */
  rows<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export async function startTestObservatory(
  overrides: Partial<ObservatoryConfig> = {},
  beforeListen?: (apps: { app: FastifyInstance; otlpHttpApp: FastifyInstance }) => void,
): Promise<RunningObservatory> {
  const config: ObservatoryConfig = {
    ...DEFAULT_CONFIG,
    host: '127.0.0.1',
    port: 0,
    otlpHttpPort: 0,
    otlpGrpcPort: 0,
    dbPath: ':memory:',
    webDist: '/nonexistent-console-dist',
    flushIntervalMs: 20,
    logLevel: 'silent',
    ...overrides,
  };
  const obs = await buildObservatory(config, { logger: false });
  beforeListen?.({ app: obs.app, otlpHttpApp: obs.otlpHttpApp });
  const ports = await listenObservatory(obs, config);
  return {
    obs,
    ports,
    config,
    httpUrl: (path) => `http://127.0.0.1:${ports.otlpHttpPort}${path}`,
    rows: async <T>(sql: string, params: unknown[] = []) => {
      await obs.flush();
      return obs.store.query<T>(sql, params);
    },
    close: () => obs.close(),
  };
}

/** Unix nanoseconds of an OpenTelemetry HrTime. */
export function hrToNs([sec, nanos]: [number, number]): bigint {
  return BigInt(sec) * 1_000_000_000n + BigInt(nanos);
}
