import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const pg = require('pg') as typeof import('pg');

/** The PostgreSQL server tests use: TEST_DATABASE_URL, else DATABASE_URL, else the local default. */
export function testServerUrl(): string {
  return (
    process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
  );
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** Creates a fresh, empty database for one test file; `drop()` removes it (call it in afterAll). */
export async function createTestDatabase(prefix = 'gbtest'): Promise<TestDatabase> {
  const server = testServerUrl();
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`.toLowerCase();
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  return {
    name,
    url: withDatabase(server, name),
    async drop() {
      const c = new pg.Client({ connectionString: server });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

export interface TestKeys {
  /** Pass as `keys` to authPlugin: verifies tokens made by `sign`. */
  keys: import('jose').JWTVerifyGetKey;
  /** A signed access token for the given principal, valid for `ttlSeconds` (default 15 min). */
  sign(
    claims: { userId: string; tenantId: string; email?: string; roles?: ('customer' | 'admin')[] },
    ttlSeconds?: number,
  ): Promise<string>;
}

/** An ES256 key pair for tests of services that verify access tokens, without running the auth service. */
export async function createTestKeys(): Promise<TestKeys> {
  const { SignJWT, createLocalJWKSet, exportJWK, generateKeyPair } = await import('jose');
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'test-key', alg: 'ES256', use: 'sig' };
  const { JWT_AUDIENCE, JWT_ISSUER } = await import('../auth.js');
  return {
    keys: createLocalJWKSet({ keys: [jwk] }),
    sign: (claims, ttlSeconds = 900) =>
      new SignJWT({
        tid: claims.tenantId,
        email: claims.email ?? `${claims.userId}@test.invalid`,
        roles: claims.roles ?? ['customer'],
        typ: 'access',
      })
        .setProtectedHeader({ alg: 'ES256', kid: 'test-key' })
        .setSubject(claims.userId)
        .setIssuer(JWT_ISSUER)
        .setAudience(JWT_AUDIENCE)
        .setIssuedAt()
        .setExpirationTime(`${ttlSeconds}s`)
        .sign(privateKey),
  };
}

export interface SpawnedService {
  child: import('node:child_process').ChildProcess;
  /** The address from the service's "<name> listening" log line. */
  url: string;
  /** Every stdout line (pino JSON) and stderr chunk so far; keeps growing while the process runs. */
  logs: string[];
}

/**
 * The command line the supervisor runs a service's bundle with (`dist/services/<name>/main.js`, built by
 * `ensureBuilt` — the test run's global setup builds it once).
 */
export function serviceCommand(root: string, name: string): string[] {
  return ['--enable-source-maps', `${root.replace(/\/$/, '')}/dist/services/${name}/main.js`];
}

/**
 * Starts a service as its own process the way the supervisor does (its compiled bundle, cwd = repo root)
 * and resolves once it logs "<name> listening"; rejects with its output if it exits or takes too long (then
 * it is killed).
 */
export async function spawnService(options: {
  name: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs?: number;
}): Promise<SpawnedService> {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, serviceCommand(options.cwd, options.name), {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      // A process that never came up is not left behind for the rest of the run.
      child.kill('SIGKILL');
      reject(new Error(`no listening line in time:\n${logs.join('\n')}`));
    }, options.timeoutMs ?? 60_000);
    let buffered = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        logs.push(line);
        try {
          const record = JSON.parse(line) as { msg?: string; address?: string };
          if (record.msg === `${options.name} listening` && record.address) {
            clearTimeout(timer);
            resolve(record.address);
          }
        } catch {
          // not a JSON line
        }
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => logs.push(chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code}:\n${logs.join('\n')}`));
    });
  });
  return { child, url, logs };
}

/**
 * Runs `fn` inside an active, sampled span of a real (non-exporting) tracer provider, as a request's server span
 * would be: what the code under test reports as the current trace id (problem documents, logs) must be
 * `traceId`. The provider is registered once per test process.
 */
export async function inActiveTrace<T>(fn: (traceId: string) => Promise<T>): Promise<T> {
  const { context, trace } = await import('@opentelemetry/api');
  if (!tracingReady) {
    const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
    const { TracerProvider } = await import('@opentelemetry/sdk-trace');
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(new TracerProvider());
    tracingReady = true;
  }
  return trace.getTracer('glassbox-test').startActiveSpan('test request', async (span) => {
    try {
      return await fn(span.spanContext().traceId);
    } finally {
      span.end();
    }
  });
}
let tracingReady = false;

export { type CapturedTelemetry, captureTelemetry } from './telemetry.js';
