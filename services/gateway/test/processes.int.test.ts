/**
 * auth, user and gateway as their own processes (their compiled bundles, as the
 * supervisor starts them) on free ports and fresh databases, exporting telemetry over OTLP/HTTP JSON to a
 * receiver here: the account flow through the gateway, one trace across the three services, keys that
 * survive an auth restart, and graceful shutdown.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { DEMO_PASSWORD } from '@glassbox/contracts';
import { createTestDatabase, serviceCommand, type TestDatabase } from '@glassbox/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, eventually } from '../../../test/support/http.js';
import { OtlpJsonReceiver } from '../../../test/support/otlp-receiver.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const INTERNAL_TOKEN = 'process-test-internal-token-0123';
const receiver = new OtlpJsonReceiver();
const databases: TestDatabase[] = [];
const procs = new Map<string, ChildProcess>();
const output = new Map<string, string>();
let env: Record<string, string>;
let gw: string;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

function start(name: 'auth' | 'user' | 'gateway', extra: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, serviceCommand(ROOT, name), {
    cwd: ROOT,
    env: { ...process.env, ...env, ...extra, OTEL_SERVICE_NAME: name },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  output.set(name, '');
  const keep = (chunk: Buffer) =>
    output.set(name, ((output.get(name) ?? '') + chunk.toString()).slice(-20_000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  procs.set(name, child);
  return child;
}

async function ready(url: string, name: string): Promise<void> {
  const res = await eventually(
    () =>
      fetch(`${url}/readyz`).then(
        (r) => r.status,
        () => 0,
      ),
    (status) => status === 200,
    90_000,
  );
  if (res !== 200) throw new Error(`${name} never became ready:\n${output.get(name)}`);
}

function stop(child: ChildProcess | undefined): Promise<number | null> {
  if (!child || child.exitCode !== null) return Promise.resolve(child?.exitCode ?? null);
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

let ports: { auth: number; user: number; gateway: number; ops: number };

beforeAll(async () => {
  const otlp = await receiver.start();
  const [authDb, userDb] = await Promise.all([createTestDatabase('gbpauth'), createTestDatabase('gbpuser')]);
  databases.push(authDb, userDb);
  ports = {
    auth: await freePort(),
    user: await freePort(),
    gateway: await freePort(),
    ops: await freePort(),
  };
  env = {
    HOST: '127.0.0.1',
    INTERNAL_TOKEN,
    // The PostgreSQL bus (in auth's test database) carries user.registered from auth to user.
    BUS_URL: authDb.url,
    SEED_DEMO: 'true',
    LOG_LEVEL: 'info',
    SCRYPT_LOG_N: '12',
    AUTH_URL: `http://127.0.0.1:${ports.auth}`,
    USER_URL: `http://127.0.0.1:${ports.user}`,
    OTEL_EXPORTER_OTLP_ENDPOINT: otlp,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '200',
    OTEL_BLRP_SCHEDULE_DELAY: '200',
    OTEL_METRIC_EXPORT_INTERVAL: '1000',
  };
  start('auth', { PORT: String(ports.auth), DATABASE_URL: authDb.url });
  start('user', { PORT: String(ports.user), DATABASE_URL: userDb.url });
  start('gateway', { PORT: String(ports.gateway), OPS_PORT: String(ports.ops) });
  gw = `http://127.0.0.1:${ports.gateway}`;
  await Promise.all([
    ready(env.AUTH_URL as string, 'auth'),
    ready(env.USER_URL as string, 'user'),
    ready(gw, 'gateway'),
  ]);
}, 180_000);

afterAll(async () => {
  await Promise.all([...procs.values()].map(stop));
  await receiver.stop();
  for (const d of databases) await d.drop();
});

async function login(email: string, password = DEMO_PASSWORD, tenant = 'demo'): Promise<string> {
  const res = await api<{ accessToken: string }>(gw, '/api/v1/auth/login', {
    method: 'POST',
    body: { tenant, email, password },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.accessToken;
}

describe('auth, user and gateway as processes', () => {
  it('registers a user of a new tenant, who logs in and reads their profile', async () => {
    const tenant = `acme-${randomUUID().slice(0, 8)}`;
    const reg = await api(gw, '/api/v1/auth/register', {
      method: 'POST',
      body: { tenant, email: 'eve@acme.test', password: 'a long enough password', name: 'Eve' },
    });
    expect(reg.status, JSON.stringify(reg.body)).toBe(201);
    const token = await login('eve@acme.test', 'a long enough password', tenant);
    // The profile arrives over the bus (user.registered); a /me that beats it shows the token's placeholder.
    const me = await eventually(
      () => api<{ name: string; roles: string[] }>(gw, '/api/v1/me', { token }),
      (r) => r.body.name === 'Eve',
      10_000,
    );
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ name: 'Eve', roles: ['admin'] });
  });

  it('continues a client trace through gateway, auth and (over the bus) user, with trace-correlated logs', async () => {
    const token = await login('alice@demo.test');
    const traceId = randomUUID().replaceAll('-', '');
    const email = `trace-${randomUUID().slice(0, 8)}@demo.test`;
    const res = await api(gw, '/api/v1/auth/register', {
      method: 'POST',
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
      body: { tenant: 'demo', email, password: 'traced password', name: 'Tracy' },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('traceresponse')).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    const spans = await eventually(
      async () => receiver.spansOf(traceId),
      (s) =>
        ['gateway', 'auth'].every((svc) => s.some((x) => x.service === svc && x.kind === 2)) &&
        s.some((x) => x.service === 'user' && x.kind === 5),
      15_000,
    );
    // The user service's part is the consumer of auth's event: a child of the span that created it.
    const created = spans.find((s) => s.service === 'auth' && s.name === 'create user.registered');
    const consumed = spans.find((s) => s.service === 'user' && s.name === 'process user.registered');
    expect(created?.kind).toBe(4);
    expect(consumed?.parentSpanId).toBe(created?.spanId);
    expect(consumed?.attributes).toMatchObject({
      'messaging.system': 'pg-boss',
      'messaging.operation.type': 'process',
      'messaging.destination.name': 'user.registered',
      'messaging.consumer.group.name': 'user.profiles',
    });
    expect(new Set(spans.map((s) => s.service))).toEqual(new Set(['gateway', 'auth', 'user']));
    const ids = new Set(spans.map((s) => s.spanId));
    expect(
      spans.filter((s) => !ids.has(s.parentSpanId)).every((s) => s.parentSpanId === '00f067aa0ba902b7'),
    ).toBe(true);
    const server = spans.find((s) => s.service === 'auth' && s.kind === 2);
    expect(server?.name).toBe('POST /api/v1/auth/register');
    // The gateway names its span after the route it forwarded to, not its catch-all `/api/v1/*`.
    const edge = spans.find((s) => s.service === 'gateway' && s.kind === 2);
    expect(edge?.name).toBe('POST /api/v1/auth/register');
    expect(edge?.attributes['http.route']).toBe('/api/v1/auth/register');
    expect(spans.some((s) => s.service === 'auth' && s.attributes['db.system.name'] === 'postgresql')).toBe(
      true,
    );
    const logs = await eventually(
      async () => receiver.logsOf(traceId),
      (l) => new Set(l.map((x) => x.service)).size >= 3,
      15_000,
    );
    expect(new Set(logs.map((l) => l.service))).toEqual(new Set(['gateway', 'auth', 'user']));
    // No secret reaches a log line.
    const all = [...output.values()].join('\n');
    expect(all).not.toContain('traced password');
    expect(all).not.toContain(token);
  });

  it('exports the business and HTTP metrics', async () => {
    const text = await (await fetch(`${env.AUTH_URL}/metrics`)).text();
    expect(text).toMatch(/glassbox_auth_logins\w*\{[^}]*outcome="success"/);
    expect(text).toMatch(/http_server_request_duration\w*_bucket\{[^}]*http_route="\/api\/v1\/auth\/login"/);
    // The gateway labels each request with the owning service's route template (slo/public-api.yaml groups them
    // by prefix); its /metrics listens on the internal listener.
    const gateway = await (await fetch(`http://127.0.0.1:${ports.ops}/metrics`)).text();
    expect(gateway).toMatch(/http_server_request_duration_count\{[^}]*http_route="\/api\/v1\/auth\/login"/);
    expect(gateway).not.toMatch(/http_route="\/api\/v1\/\*"[^}]*http_response_status_code="200"/);
    expect(gateway).toMatch(/^nodejs_eventloop_delay_p99\{[^}]*\} [0-9.e-]+$/m);
    // Resident memory (what ProcessMemoryGrowing watches): on /metrics, and over OTLP below.
    const rss = /^process_memory_usage\{[^}]*\} ([0-9.e+]+)$/m.exec(gateway);
    expect(Number(rss?.[1])).toBeGreaterThan(10 * 1024 * 1024);
    await eventually(
      async () => receiver.metricNames,
      (names) =>
        names.has('glassbox.auth.registrations') &&
        names.has('glassbox.user.profiles.created') &&
        names.has('process.memory.usage'),
      15_000,
    );
  });

  it('serves /metrics and its own /openapi.json on its internal listener only, by route template', async () => {
    const metrics = await fetch(`${gw}/metrics`);
    expect(metrics.status).toBe(404);
    expect(metrics.headers.get('content-type')).toContain('application/problem+json');
    // The public port's /openapi.json is the public API only: nothing of the hosts, ports or processes behind.
    const publicDoc = await fetch(`${gw}/openapi.json`);
    expect(publicDoc.status).toBe(200);
    const publicText = await publicDoc.text();
    expect(publicText).toContain('/api/v1/auth/login');
    expect(publicText).not.toMatch(/127\.0\.0\.1|localhost|ECONNREFUSED|target_info|process\.pid/);
    const token = await login('alice@demo.test');
    const address = randomUUID();
    expect((await api(gw, '/api/v1/me', { token })).status).toBe(200);
    expect((await api(gw, `/api/v1/me/addresses/${address}`, { token, method: 'DELETE' })).status).toBe(404);
    const ops = `http://127.0.0.1:${ports.ops}`;
    expect((await fetch(`${ops}/openapi.json`)).status).toBe(200);
    const text = await eventually(
      async () => (await fetch(`${ops}/metrics`)).text(),
      (t) => t.includes('http_route="/api/v1/me/addresses/:id"'),
      10_000,
    );
    expect(text).toMatch(/http_server_request_duration\w*_bucket\{[^}]*http_route="\/api\/v1\/me"/);
    expect(text).not.toContain('http_route="/api/v1/*"');
    // Per tenant (the Tenants dashboard): the verified token's tenant, the upstream and the status class.
    const tenantId = (
      JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { tid: string }
    ).tid;
    const perTenant = text
      .split('\n')
      .filter((l) => l.startsWith('glassbox_gateway_tenant_request_duration_count{'));
    expect(perTenant.join('\n')).toContain(`glassbox_tenant_id="${tenantId}"`);
    expect(
      perTenant.some(
        (l) => l.includes('http_response_status_class="2xx"') && l.includes('glassbox_upstream="user"'),
      ),
    ).toBe(true);
    expect(perTenant.some((l) => l.includes('http_response_status_class="4xx"'))).toBe(true);
    expect(text).not.toContain(address);
    // What the process tells about itself: the service's identity, nothing of the host, the process or its paths.
    const info = text.split('\n').find((l) => l.startsWith('target_info{')) ?? '';
    const labels = [...info.matchAll(/(\w+)="/g)].map((m) => m[1]);
    expect(labels).toEqual(expect.arrayContaining(['service_name', 'service_instance_id']));
    const allowed =
      /^(service_(name|namespace|version|instance_id)|deployment_environment_name|telemetry_sdk_\w+|job|instance)$/;
    expect(labels.filter((l) => !allowed.test(l ?? ''))).toEqual([]);
  });

  it('keeps tokens valid across an auth restart (keys live in the database)', async () => {
    const before = await login('alice@demo.test');
    expect(await stop(procs.get('auth'))).toBe(0);
    const down = await api(gw, '/api/v1/auth/login', {
      method: 'POST',
      body: { tenant: 'demo', email: 'alice@demo.test', password: DEMO_PASSWORD },
    });
    expect(down.status).toBe(503);
    // Verification at the gateway and the user service does not need auth to be up (cached JWKS).
    expect((await api(gw, '/api/v1/me', { token: before })).status).toBe(200);
    start('auth', { PORT: String(ports.auth), DATABASE_URL: databases[0]?.url ?? '' });
    await ready(env.AUTH_URL as string, 'auth');
    const after = await eventually(
      () =>
        api<{ accessToken: string }>(gw, '/api/v1/auth/login', {
          method: 'POST',
          body: { tenant: 'demo', email: 'alice@demo.test', password: DEMO_PASSWORD },
        }),
      (r) => r.status === 200,
      15_000,
    );
    expect(after.status).toBe(200);
    for (const token of [before, after.body.accessToken]) {
      expect((await api(gw, '/api/v1/me', { token })).status).toBe(200);
    }
  });

  it('shuts down gracefully on SIGTERM', async () => {
    for (const name of ['gateway', 'user'] as const) {
      expect(await stop(procs.get(name))).toBe(0);
    }
  });
});
