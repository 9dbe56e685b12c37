import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { manifestEntry, SERVICE_MANIFEST, type ServiceName } from '@glassbox/contracts';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogLine } from './logs.js';
import { dropDatabases } from './postgres.js';
import { SERVICE_NAMES } from './services.js';
import { type Stack, startStack } from './stack.js';
import type { ProcessEvent, ProcessInfo } from './supervisor/process.js';
import { groupAlive } from './supervisor/process.js';
import { until } from './test-support.js';

// The machine's PostgreSQL (trust auth). The stack runs in connected mode against it, isolated by a prefix.
const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const FIXTURE = fileURLToPath(new URL('../test-fixtures/service.mjs', import.meta.url));
const prefix = `gbt_${randomBytes(3).toString('hex')}_`;

let stack: Stack;
const events: ProcessEvent[] = [];
const logs: LogLine[] = [];
let stateDir: string;
const seenPids = new Set<number>();
const leakedDatabaseUrl = 'postgres://nobody@127.0.0.1:1/should-not-leak';

async function json<T>(url: string, init?: RequestInit): Promise<{ status: number; body: T; type: string }> {
  const res = await fetch(url, init);
  return { status: res.status, body: (await res.json()) as T, type: res.headers.get('content-type') ?? '' };
}

beforeAll(async () => {
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gb-stack-'));
  const before = process.env.DATABASE_URL;
  process.env.DATABASE_URL = leakedDatabaseUrl;
  process.env.OTEL_RESOURCE_ATTRIBUTES = 'team=glassbox-test';
  try {
    stack = await startStack({
      ports: 'auto',
      stateDir,
      databaseUrl: ADMIN_URL,
      dbPrefix: prefix,
      observatory: true,
      env: {
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        LOG_LEVEL: 'debug',
        GLASSBOX_SLO_TIME_SCALE: '60',
      },
      logs: (line) => logs.push(line),
      command: () => ({ command: process.execPath, args: [FIXTURE] }),
      backoff: { initialMs: 200, maxMs: 1000 },
      readyPollMs: 50,
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'spawn') seenPids.add(e.pid);
      },
    });
  } finally {
    if (before === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = before;
    delete process.env.OTEL_RESOURCE_ATTRIBUTES;
  }
});

afterAll(async () => {
  await stack?.stop();
  fs.rmSync(stateDir, { recursive: true, force: true });
  await dropDatabases(
    ADMIN_URL,
    SERVICE_NAMES.filter((s) => s !== 'gateway').map((s) => `${prefix}${s}`),
  );
});

describe('startStack with fixture services (connected mode)', () => {
  it('starts the observatory first, then every service, all ready on free ports', () => {
    expect(stack.mode).toBe('connected');
    expect(stack.services).toEqual([...SERVICE_NAMES]);
    const list = stack.control.list();
    expect(list.map((p) => p.name)).toEqual(['observatory', ...SERVICE_NAMES]);
    expect(list.every((p) => p.state === 'ready' && p.pid !== null)).toBe(true);
    const firstServiceSpawn = Math.min(
      ...events.filter((e) => e.type === 'spawn' && e.name !== 'observatory').map((e) => e.at),
    );
    const observatoryReady = events.find((e) => e.type === 'ready' && e.name === 'observatory');
    expect(observatoryReady?.at).toBeLessThanOrEqual(firstServiceSpawn);
    for (const name of SERVICE_NAMES) expect(stack.ports[name]).not.toBe(8080);
    expect(new Set(Object.values(stack.ports)).size).toBe(Object.keys(stack.ports).length);
  });

  it('passes the service contract environment', async () => {
    const { body } = await json<{ env: Record<string, string> }>(`${stack.urls.catalog}/env`);
    const env = body.env;
    expect(env).toMatchObject({
      PORT: String(stack.ports.catalog),
      HOST: '127.0.0.1',
      OTEL_SERVICE_NAME: 'catalog',
      OTEL_EXPORTER_OTLP_ENDPOINT: stack.urls.otlpHttp,
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_RESOURCE_ATTRIBUTES: 'team=glassbox-test',
      SEED_DEMO: 'true',
      LOG_LEVEL: 'debug',
      DEPLOYMENT_ENVIRONMENT: 'local',
      // The demo time scale: metrics pushed as often as the scaled rules are evaluated.
      OTEL_METRIC_EXPORT_INTERVAL: '1000',
      AUTH_URL: stack.urls.auth,
      USER_URL: stack.urls.user,
      CATALOG_URL: stack.urls.catalog,
      INVENTORY_URL: stack.urls.inventory,
      ORDER_URL: stack.urls.order,
      PAYMENT_URL: stack.urls.payment,
      GATEWAY_URL: stack.urls.gateway,
    });
    expect(new URL(env.DATABASE_URL ?? '').pathname).toBe(`/${prefix}catalog`);
    // Without a BUS_URL of the user's, the PostgreSQL bus in the stack's own database.
    expect(env.BUS_URL).toBe(stack.busUrl);
    expect(new URL(env.BUS_URL ?? '').pathname).toBe(`/${prefix}bus`);
    const tokenFile = path.join(stateDir, 'internal-token');
    expect(env.INTERNAL_TOKEN).toBe(fs.readFileSync(tokenFile, 'utf8').trim());
    expect(env.INTERNAL_TOKEN?.length).toBeGreaterThanOrEqual(32);
    expect(fs.statSync(tokenFile).mode & 0o777).toBe(0o600);

    const gateway = (await json<{ env: Record<string, string> }>(`${stack.urls.gateway}/env`)).body.env;
    expect(gateway.DATABASE_URL).toBeUndefined();
    expect(gateway.INTERNAL_TOKEN).toBe(env.INTERNAL_TOKEN);
    // The gateway's /metrics and /openapi.json listen apart from its public port, on loopback.
    expect(gateway).toMatchObject({ OPS_PORT: String(stack.ports.gatewayOps), OPS_HOST: '127.0.0.1' });
    expect(env.OPS_PORT).toBeUndefined();

    // The provider-callback secret: generated per installation like the internal token, given to payment only.
    const payment = (await json<{ env: Record<string, string> }>(`${stack.urls.payment}/env`)).body.env;
    const secretFile = path.join(stateDir, 'webhook-secret');
    expect(payment.PAYMENT_WEBHOOK_SECRET).toBe(fs.readFileSync(secretFile, 'utf8').trim());
    expect(payment.PAYMENT_WEBHOOK_SECRET?.length).toBeGreaterThanOrEqual(32);
    expect(payment.PAYMENT_WEBHOOK_SECRET).not.toBe(env.INTERNAL_TOKEN);
    expect(fs.statSync(secretFile).mode & 0o777).toBe(0o600);
    expect(env.PAYMENT_WEBHOOK_SECRET).toBeUndefined();
    expect(gateway.PAYMENT_WEBHOOK_SECRET).toBeUndefined();

    const observatory = (await json<{ env: Record<string, string> }>(`${stack.urls.observatory}/env`)).body
      .env;
    expect(observatory).toMatchObject({
      OBSERVATORY_PORT: String(stack.ports.observatory),
      OTLP_HTTP_PORT: String(stack.ports.otlpHttp),
      OTLP_GRPC_PORT: String(stack.ports.otlpGrpc),
      OBSERVATORY_DATA_DIR: path.join(stateDir, 'observatory'),
      GLASSBOX_SLO_TIME_SCALE: '60',
      // The observatory's alerts go to the healer's webhook receiver (the manifest's alertWebhookPath).
      OBSERVATORY_ALERT_WEBHOOKS: `${stack.urls.healer}/webhooks/alertmanager/observatory`,
      // …and its Remediations page reads the healer's audit log.
      HEALER_URL: stack.urls.healer,
    });

    // Only the healer is given the platform's endpoints (control API, observatory, gateway's internal port).
    const healer = (await json<{ env: Record<string, string> }>(`${stack.urls.healer}/env`)).body.env;
    expect(healer).toMatchObject({
      CONTROL_URL: stack.urls.control,
      OBSERVATORY_URL: stack.urls.observatory,
      GATEWAY_OPS_URL: stack.urls.gatewayOps,
    });
    expect(new URL(healer.DATABASE_URL ?? '').pathname).toBe(`/${prefix}healer`);
    for (const other of [env, gateway, payment]) {
      expect(other.CONTROL_URL).toBeUndefined();
      expect(other.GATEWAY_OPS_URL).toBeUndefined();
    }
  });

  it('created each service database, reachable through its DATABASE_URL, and the bus database', async () => {
    for (const name of ['auth', 'order'] as const) {
      const { status, body } = await json<{ db: string }>(`${stack.urls[name]}/db`);
      expect(status).toBe(200);
      expect(body.db).toBe(`${prefix}${name}`);
    }
    const client = new pg.Client(ADMIN_URL);
    await client.connect();
    const { rows } = await client.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE datname LIKE $1 ORDER BY 1',
      [`${prefix}%`],
    );
    await client.end();
    // One per service of the manifest that keeps state, and the bus's.
    const databases = SERVICE_MANIFEST.flatMap((s) => (s.database ? [s.database] : []));
    expect(rows.map((r) => r.datname)).toEqual([...databases, 'bus'].sort().map((s) => `${prefix}${s}`));
  });

  it('pipes the children logs (JSON records, per source)', () => {
    const listening = logs.filter((l) => l.json?.msg === 'listening').map((l) => l.source);
    expect(new Set(listening)).toEqual(new Set(['observatory', ...SERVICE_NAMES]));
  });

  it('restarts a crashed service with backoff and records it', async () => {
    const before = stack.control.get('inventory')?.info() as ProcessInfo;
    await fetch(`${stack.urls.inventory}/crash`, { method: 'POST' });
    await until(() => stack.control.get('inventory')?.currentState === 'backoff');
    const during = (await json<{ service: ProcessInfo }>(`${stack.urls.control}/services/inventory`)).body
      .service;
    expect(during.state).toBe('backoff');
    expect(during.pid).toBeNull();
    expect(during.nextRestartInMs).toBeGreaterThanOrEqual(0);
    await stack.control.waitReady('inventory', 15_000);
    const after = stack.control.get('inventory')?.info() as ProcessInfo;
    expect(after.pid).not.toBe(before.pid);
    expect(after.restarts).toBe(before.restarts + 1);
    expect(after.lastExit?.code).toBe(3);
    // The same count, as Prometheus text for the CrashLooping alert.
    const metrics = await (await fetch(`${stack.urls.control}/metrics`)).text();
    expect(metrics).toContain(`glassbox_supervisor_restarts_total{process="inventory"} ${after.restarts}`);
    expect(metrics).toContain('glassbox_supervisor_process_up{process="inventory"} 1');
    expect(
      logs.some((l) => l.source === 'glassbox' && /inventory exited \(code 3\)/.test(String(l.json?.msg))),
    ).toBe(true);
  });

  it('control API: list, stop, start, restart, errors', async () => {
    const base = stack.urls.control;
    expect((await json<{ status: string }>(`${base}/healthz`)).body.status).toBe('ok');
    const list = await json<{ services: ProcessInfo[] }>(`${base}/services`);
    expect(list.status).toBe(200);
    // Every service of the manifest, and the observatory.
    expect(list.body.services).toHaveLength(SERVICE_NAMES.length + 1);
    for (const s of list.body.services) {
      expect(Object.keys(s)).toEqual(
        expect.arrayContaining(['name', 'pid', 'port', 'state', 'restarts', 'uptime']),
      );
    }

    const stopped = await json<{ service: ProcessInfo }>(`${base}/services/user/stop`, { method: 'POST' });
    expect(stopped.status).toBe(200);
    expect(stopped.body.service).toMatchObject({ name: 'user', state: 'stopped', pid: null });
    const refused = await fetch(`${stack.urls.user}/readyz`).then(
      () => 'answered',
      () => 'refused',
    );
    expect(refused).toBe('refused');

    const again = await json<{ status: number; detail: string }>(`${base}/services/user/stop`, {
      method: 'POST',
    });
    expect(again.status).toBe(409);
    expect(again.type).toContain('application/problem+json');
    expect(again.body.detail).toMatch(/stopped/);
    expect((await fetch(`${base}/services/user/restart`, { method: 'POST' })).status).toBe(409);

    const started = await json<{ service: ProcessInfo }>(`${base}/services/user/start?wait=ready`, {
      method: 'POST',
    });
    expect(started.status).toBe(200);
    expect(started.body.service.state).toBe('ready');
    expect((await fetch(`${base}/services/user/start`, { method: 'POST' })).status).toBe(409);

    const pidBefore = started.body.service.pid;
    const restarted = await json<{ service: ProcessInfo }>(`${base}/services/user/restart?wait=ready`, {
      method: 'POST',
    });
    expect(restarted.status).toBe(200);
    expect(restarted.body.service.state).toBe('ready');
    expect(restarted.body.service.pid).not.toBe(pidBefore);

    expect((await fetch(`${base}/services/shipping/stop`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${base}/services/user/explode`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${base}/services/user/stop`)).status).toBe(405);
    expect((await fetch(`${base}/nowhere`)).status).toBe(404);
    const root = await json<{ mode: string; services: unknown[] }>(`${base}/`);
    expect(root.body.mode).toBe('connected');
  });

  it('control API refuses requests that do not come from this machine', async () => {
    const http = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        `${stack.urls.control}/services/user/stop`,
        { method: 'POST', headers: { host: 'attacker.example:7070' } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
    const cross = await fetch(`${stack.urls.control}/services/user/stop`, {
      method: 'POST',
      headers: { origin: 'https://attacker.example' },
    });
    expect(cross.status).toBe(403);
    expect(stack.control.get('user')?.currentState).toBe('ready');
  });

  it('records the running children for crash recovery', () => {
    const record = JSON.parse(
      fs.readFileSync(path.join(stateDir, `supervisor-${stack.ports.control}.json`), 'utf8'),
    ) as {
      supervisorPid: number;
      children: Array<{ name: string; pid: number }>;
    };
    expect(record.supervisorPid).toBe(process.pid);
    expect(record.children.map((c) => c.name).sort()).toEqual(['observatory', ...SERVICE_NAMES].sort());
  });

  it('refuses a second supervisor on the same control port; another stack may share the state directory', async () => {
    await expect(
      startStack({
        ports: { ...stack.ports },
        stateDir,
        databaseUrl: ADMIN_URL,
        dbPrefix: prefix,
        services: ['gateway'],
        observatory: false,
        logs: 'silent',
        command: () => ({ command: process.execPath, args: [FIXTURE] }),
      }),
    ).rejects.toThrow(/already runs here/);
    const other = await startStack({
      ports: 'auto',
      stateDir,
      databaseUrl: ADMIN_URL,
      dbPrefix: prefix,
      services: ['gateway'],
      observatory: false,
      logs: 'silent',
      command: () => ({ command: process.execPath, args: [FIXTURE] }),
    });
    expect(other.control.list()).toMatchObject([{ name: 'gateway', state: 'ready' }]);
    await other.stop();
    expect(stack.control.list().every((p) => p.state === 'ready')).toBe(true);
    expect(fs.existsSync(path.join(stateDir, `supervisor-${stack.ports.control}.json`))).toBe(true);
  });

  it('stops the gateway and the healer first, then order, then the rest, the observatory last; no child survives', async () => {
    const exitsBefore = events.length;
    await stack.stop();
    const exits = events.slice(exitsBefore).filter((e) => e.type === 'exit');
    expect(exits.every((e) => e.type === 'exit' && e.expected)).toBe(true);
    const order = exits.map((e) => e.name);
    // The gateway and the healer first (no new work, nothing "healed" while the stack stops), then order and
    // the flash sale (whose work becomes orders), then the rest: the manifest's stop stages, in order.
    expect(new Set(order.slice(0, 2))).toEqual(new Set(['gateway', 'healer']));
    expect(new Set(order.slice(2, 4))).toEqual(new Set(['order', 'flash-sale']));
    const stageOf = (name: string) =>
      name === 'observatory' ? Number.POSITIVE_INFINITY : manifestEntry(name as ServiceName).stopStage;
    const stages = order.map(stageOf);
    expect(stages).toEqual([...stages].sort((a, b) => a - b));
    expect(order.at(-1)).toBe('observatory');
    expect(new Set(order)).toEqual(new Set(['observatory', ...SERVICE_NAMES]));
    for (const pid of seenPids) expect(groupAlive(pid)).toBe(false);
    expect(stack.control.list().every((p) => p.state === 'stopped')).toBe(true);
    expect(fs.existsSync(path.join(stateDir, `supervisor-${stack.ports.control}.json`))).toBe(false);
    // the control API is closed
    await expect(fetch(`${stack.urls.control}/healthz`)).rejects.toThrow();
  });
});
