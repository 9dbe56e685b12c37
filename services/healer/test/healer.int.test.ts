/**
 * The healer against real things: its own PostgreSQL database, the supervisor's real control API managing a real
 * process (the supervisor tests' fixture service), and an alert source in Prometheus's `/api/v1/alerts` shape
 * whose TargetDown alert is firing exactly while the supervisor does not report that process ready (what the
 * observatory evaluates for `up == 0`). Each safeguard has a test that fails when it is broken: the process
 * must (or must not) be started again, and the audit log must say why.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDb, createLogger, createOperationalApp, type Db, loadConfig, migrate } from '@glassbox/kit';
import { createTestDatabase, type TestDatabase } from '@glassbox/kit/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ControlServer, startControlServer } from '../../../cli/src/control.js';
import { FaultManager } from '../../../cli/src/faults/manager.js';
import { freePorts } from '../../../cli/src/ports.js';
import { Supervisor } from '../../../cli/src/supervisor/supervisor.js';
import { until } from '../../../cli/src/test-support.js';
import { buildGateway, type GatewayControls } from '../../gateway/src/app.js';
import { GatewayConfig } from '../../gateway/src/config.js';
import { adminRoutes } from '../../gateway/src/http/admin-routes.js';
import { supervisorPlatform } from '../src/adapters/supervisor-platform.js';
import { buildApp, type HealerApp } from '../src/app.js';
import type { HealerConfig } from '../src/config.js';
import { parseRunbook } from '../src/domain/runbook.js';

const FIXTURE = fileURLToPath(new URL('../../../cli/test-fixtures/service.mjs', import.meta.url));
const TOKEN = 'healer-test-internal-token-0123';
const TARGET = 'inventory';

let database: TestDatabase;
let db: Db;
let supervisor: Supervisor;
let control: ControlServer;
let alerts: http.Server;
let alertsUrl: string;
let healer: HealerApp | undefined;
let gateway: { close(): Promise<unknown> } | undefined;
let gatewayOpsUrl = 'http://127.0.0.1:9';
let controls: GatewayControls | undefined;
let faultDir: string;
/** The supervisor's faults: the fixture crash-loops while the flag file holds a crash-loop fault for it. */
let faults: FaultManager;

const RUNBOOK = parseRunbook(
  'runbooks/target-down.yaml',
  `
name: target-down
description: start what is down
match: ['alertname="TargetDown"']
actions:
  - action: restart-service
    verify: { alertResolved: true, within: 20s }
`,
);

const targetLabels = {
  alertname: 'TargetDown',
  job: TARGET,
  instance: TARGET,
  service: TARGET,
  severity: 'page',
};
const isUp = () => supervisor.get(TARGET)?.info().state === 'ready';

function notification(startsAt: string, status: 'firing' | 'resolved' = 'firing') {
  return {
    version: '4',
    groupKey: '{}:{alertname="TargetDown", service="inventory"}',
    truncatedAlerts: 0,
    status,
    receiver: 'observatory',
    groupLabels: { alertname: 'TargetDown', service: TARGET },
    commonLabels: targetLabels,
    commonAnnotations: {},
    externalURL: 'http://127.0.0.1:3000',
    alerts: [
      {
        status,
        labels: targetLabels,
        annotations: { summary: 'inventory is down' },
        startsAt,
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'http://127.0.0.1:3000/alerts',
        fingerprint: '5f1c3a0d9e2b4c11',
      },
    ],
  };
}

const config = (over: Partial<HealerConfig> = {}) => ({
  INTERNAL_TOKEN: TOKEN,
  OBSERVATORY_URL: alertsUrl,
  GATEWAY_OPS_URL: gatewayOpsUrl,
  PROMETHEUS_URL: undefined,
  HEALER_DRY_RUN: false,
  HEALER_APPROVAL: 'none' as const,
  HEALER_COOLDOWN_S: 300,
  HEALER_MAX_ACTIONS_PER_HOUR: 10,
  HEALER_VERIFY_POLL_MS: 100,
  ...over,
});

async function startHealer(over: Partial<HealerConfig> = {}, runbooks = [RUNBOOK]): Promise<HealerApp> {
  healer = await buildApp({
    db,
    logger: createLogger('healer', 'silent'),
    config: config(over),
    runbooks,
    platform: supervisorPlatform(control.url, { readyTimeoutMs: 20_000 }),
  });
  await healer.app.ready();
  return healer;
}

async function post(startsAt: string) {
  if (!healer) throw new Error('no healer');
  return healer.app.inject({
    method: 'POST',
    url: '/webhooks/alertmanager/observatory',
    payload: notification(startsAt),
  });
}

async function audit() {
  if (!healer) throw new Error('no healer');
  const res = await healer.app.inject({ method: 'GET', url: '/api/remediations' });
  return (res.json() as { remediations: Array<Record<string, unknown>> }).remediations.reverse();
}

async function stopTarget() {
  await supervisor.get(TARGET)?.stop();
  expect(isUp()).toBe(false);
}

let incident = 0;
const nextStart = () => new Date(Date.UTC(2026, 0, 1, 0, 0, ++incident)).toISOString();

beforeAll(async () => {
  database = await createTestDatabase('gbhealer');
  db = createDb(database.url);
  await migrate(db, new URL('../migrations/', import.meta.url), createLogger('healer', 'silent'));
  const [port] = await freePorts(1);
  faultDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gb-healer-faults-'));
  faults = new FaultManager({
    file: path.join(faultDir, 'faults.flagd.json'),
    services: [TARGET],
    dependenciesOf: () => [],
  });
  await faults.init();
  supervisor = new Supervisor(
    [
      {
        name: TARGET,
        command: process.execPath,
        args: [FIXTURE],
        cwd: process.cwd(),
        env: {
          ...process.env,
          PORT: String(port),
          HOST: '127.0.0.1',
          FIXTURE_NAME: TARGET,
          GLASSBOX_FAULTS_FILE: faults.file,
        },
        port: port ?? 0,
        readyUrl: `http://127.0.0.1:${port}/readyz`,
        startStage: 0,
        stopStage: 0,
        stopTimeoutMs: 5000,
      },
    ],
    { readyPollMs: 50, onLog: () => undefined },
  );
  await supervisor.startAll(20_000);
  control = await startControlServer(supervisor, { port: 0, faults });
  alerts = http.createServer((req, res) => {
    const firing = isUp() ? [] : [{ labels: targetLabels, annotations: {}, state: 'firing', value: '0e+00' }];
    res.writeHead(200, { 'content-type': 'application/json' });
    if (req.url?.startsWith('/api/slos')) {
      // The SLI of the target's availability: within its objective exactly while it runs.
      const sli = { '5m': isUp() ? 1 : 0.5 };
      res.end(JSON.stringify({ slos: [{ id: 'inventory-availability', objective: 0.999, sli }] }));
      return;
    }
    res.end(
      JSON.stringify({ status: 'success', data: { alerts: req.url?.endsWith('/alerts') ? firing : [] } }),
    );
  });
  await new Promise<void>((r) => alerts.listen(0, '127.0.0.1', r));
  alertsUrl = `http://127.0.0.1:${(alerts.address() as AddressInfo).port}`;
}, 60_000);

beforeEach(async () => {
  await healer?.app.close();
  healer = undefined;
  await db.query('TRUNCATE remediations');
  await faults.clear(undefined, 'test');
  const target = supervisor.get(TARGET);
  if (target && !isUp()) {
    const state = target.info().state;
    // stopped by a test, or crash-looping on a bad release a test left (its fault is cleared above)
    if (state === 'stopped' || state === 'crashed') await target.start();
    else await target.restart();
    await target.waitReady(20_000);
  }
});

afterAll(async () => {
  await healer?.app.close();
  await gateway?.close();
  await control?.close();
  await supervisor?.shutdown();
  faults?.close();
  if (faultDir) fs.rmSync(faultDir, { recursive: true, force: true });
  await new Promise((r) => alerts?.close(r));
  await db?.close();
  await database?.drop();
});

describe('the healer', () => {
  it('refuses a payload that is not a webhook v4 notification with a 400 naming the field', async () => {
    const { app } = await startHealer();
    const bad = notification(nextStart()) as Record<string, unknown>;
    const res = await app.inject({
      method: 'POST',
      url: '/webhooks/alertmanager/page',
      payload: { ...bad, version: '3' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(JSON.stringify(res.json())).toContain('version');
    const noFingerprint = notification(nextStart());
    const { fingerprint: _, ...alert } = noFingerprint.alerts[0] as Record<string, unknown>;
    const res2 = await app.inject({
      method: 'POST',
      url: '/webhooks/alertmanager/page',
      payload: { ...noFingerprint, alerts: [alert] },
    });
    expect(res2.statusCode).toBe(400);
    expect(JSON.stringify(res2.json())).toContain('fingerprint');
    expect(await audit()).toEqual([]);
  });

  it('starts a stopped service, verifies the alert resolved, and audits it; a repeated notification is one incident', async () => {
    const { healer: engine } = await startHealer();
    await stopTarget();
    const startsAt = nextStart();
    const res = await post(startsAt);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ receipts: [{ outcome: 'started', runbook: 'target-down' }] });
    expect((await post(startsAt)).json()).toMatchObject({ receipts: [{ outcome: 'duplicate' }] });
    await engine.idle();
    expect(isUp()).toBe(true);
    const rows = await audit();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      alertname: 'TargetDown',
      runbook: 'target-down',
      action: 'restart-service',
      target: TARGET,
      decision: 'execute',
      status: 'succeeded',
      verification: 'resolved',
    });
    expect(rows[0]?.detail).toContain('started inventory (it was stopped)');
    expect(rows[0]?.durationMs).toEqual(expect.any(Number));
    expect(rows[0]?.traceId).toEqual(expect.any(String));
    // after it ended too, the same alert is not handled twice
    expect((await post(startsAt)).json()).toMatchObject({ receipts: [{ outcome: 'duplicate' }] });
  });

  it('in dry-run mode decides and records, and leaves the service as it is', async () => {
    const { healer: engine } = await startHealer({ HEALER_DRY_RUN: true });
    await stopTarget();
    await post(nextStart());
    await engine.idle();
    expect(isUp()).toBe(false);
    expect(await audit()).toMatchObject([
      { action: 'restart-service', decision: 'dry-run', status: 'skipped' },
    ]);
  });

  it('holds a disruptive action until a person approves it (with the internal token), then acts', async () => {
    const { app, healer: engine } = await startHealer({ HEALER_APPROVAL: 'disruptive' });
    await stopTarget();
    await post(nextStart());
    await engine.idle();
    expect(isUp()).toBe(false);
    const [waiting] = await audit();
    expect(waiting).toMatchObject({ decision: 'awaiting-approval', status: 'awaiting-approval' });
    const url = `/api/remediations/${waiting?.id}/approve`;
    expect((await app.inject({ method: 'POST', url })).statusCode).toBe(401);
    const ok = await app.inject({ method: 'POST', url, headers: { 'x-internal-token': TOKEN } });
    expect(ok.statusCode).toBe(200);
    await engine.idle();
    expect(isUp()).toBe(true);
    expect(await audit()).toMatchObject([
      { decision: 'approved', status: 'succeeded', verification: 'resolved' },
    ]);
    // answered once only
    const again = await app.inject({ method: 'POST', url, headers: { 'x-internal-token': TOKEN } });
    expect(again.statusCode).toBe(409);
  });

  it('a rejected action is not executed; the healer pages instead', async () => {
    const { app, healer: engine } = await startHealer({ HEALER_APPROVAL: 'disruptive' });
    await stopTarget();
    await post(nextStart());
    await engine.idle();
    const [waiting] = await audit();
    const res = await app.inject({
      method: 'POST',
      url: `/api/remediations/${waiting?.id}/reject`,
      headers: { 'x-internal-token': TOKEN },
    });
    expect(res.statusCode).toBe(200);
    await engine.idle();
    expect(isUp()).toBe(false);
    expect(await audit()).toMatchObject([
      { action: 'restart-service', decision: 'rejected', status: 'rejected' },
      { action: 'page', decision: 'escalate', status: 'paged' },
    ]);
  });

  it('within the cooldown of a target, a second incident pages instead of acting again', async () => {
    const { healer: engine } = await startHealer({ HEALER_COOLDOWN_S: 600 });
    await stopTarget();
    await post(nextStart());
    await engine.idle();
    expect(isUp()).toBe(true);
    await stopTarget();
    await post(nextStart());
    await engine.idle();
    expect(isUp()).toBe(false);
    const rows = await audit();
    expect(rows.map((r) => [r.action, r.decision, r.status])).toEqual([
      ['restart-service', 'execute', 'succeeded'],
      ['restart-service', 'cooldown', 'skipped'],
      ['page', 'escalate', 'paged'],
    ]);
  });

  it('caps the actions per hour: past the cap it pages', async () => {
    const { healer: engine } = await startHealer({ HEALER_COOLDOWN_S: 0, HEALER_MAX_ACTIONS_PER_HOUR: 1 });
    await stopTarget();
    await post(nextStart());
    await engine.idle();
    expect(isUp()).toBe(true);
    await stopTarget();
    await post(nextStart());
    await engine.idle();
    expect(isUp()).toBe(false);
    expect((await audit()).map((r) => [r.action, r.decision, r.status])).toEqual([
      ['restart-service', 'execute', 'succeeded'],
      ['restart-service', 'cap-reached', 'skipped'],
      ['page', 'escalate', 'paged'],
    ]);
  });

  it('pages after the last action when it cannot heal (a target the supervisor does not know)', async () => {
    const { app, healer: engine } = await startHealer();
    const payload = notification(nextStart());
    const ghost = { ...targetLabels, job: 'ghost', instance: 'ghost', service: 'ghost' };
    const alert = { ...(payload.alerts[0] as object), labels: ghost, fingerprint: '0123456789abcdef' };
    await app.inject({
      method: 'POST',
      url: '/webhooks/alertmanager/page',
      payload: { ...payload, alerts: [alert] },
    });
    await engine.idle();
    const rows = await audit();
    expect(rows.map((r) => [r.action, r.target, r.status])).toEqual([
      ['restart-service', 'ghost', 'failed'],
      ['page', 'ghost', 'paged'],
    ]);
    expect(rows[0]?.detail).toContain('the supervisor knows no service ghost');
  });

  it('pulls the gateway’s levers through its admin endpoints: a circuit held open, load shed', async () => {
    // The real gateway, its admin endpoints on an operational listener of their own.
    const gwLogger = createLogger('gateway', 'silent');
    const built = await buildGateway({ config: loadConfig(GatewayConfig, {}), logger: gwLogger });
    controls = built.controls;
    const ops = await createOperationalApp({ name: 'gateway', logger: gwLogger, openapi: () => ({}) });
    await ops.register(adminRoutes, { controls: () => built.controls });
    gatewayOpsUrl = await ops.listen({ port: 0, host: '127.0.0.1' });
    gateway = {
      close: async () => {
        await ops.close();
        await built.app.close();
      },
    };
    const levers = parseRunbook(
      'runbooks/levers.yaml',
      `
name: levers
description: degrade, then shed
match: ['alertname="CatalogBurning"']
actions:
  - action: open-circuit
    forSeconds: 120
    verify: { alertResolved: true, within: 1s }
  - action: shed-load
    fraction: 0.25
    forSeconds: 60
    verify: { alertResolved: true, within: 1s }
`,
    );
    const { app, healer: engine } = await startHealer({ HEALER_APPROVAL: 'none' }, [levers]);
    const payload = notification(nextStart());
    const burning = { alertname: 'CatalogBurning', service: 'catalog', severity: 'page' };
    const first = { ...(payload.alerts[0] as object), labels: burning, fingerprint: 'aaaaaaaaaaaaaaa1' };
    await app.inject({
      method: 'POST',
      url: '/webhooks/alertmanager/page',
      payload: { ...payload, alerts: [first] },
    });
    await engine.idle();
    const circuit = controls.upstreams.circuits().find((c) => c.upstream === 'catalog');
    expect(circuit).toMatchObject({ state: 'open' });
    expect(circuit?.heldForMs).toBeGreaterThan(100_000);
    // The alert source shows no such alert: the first lever is verified and the second is not pulled.
    expect(controls.shedder.status().fraction).toBe(0);
    expect((await audit()).map((r) => [r.action, r.target, r.status])).toEqual([
      ['open-circuit', 'catalog', 'succeeded'],
    ]);

    const shedOnly = parseRunbook(
      'runbooks/shed.yaml',
      `
name: shed
description: shed
match: ['alertname="GatewayOverloaded"']
actions:
  - action: shed-load
    fraction: 0.25
    forSeconds: 60
    verify: { alertResolved: true, within: 1s }
`,
    );
    await app.close();
    const second = await startHealer({}, [shedOnly]);
    const overloaded = { alertname: 'GatewayOverloaded', service: 'gateway', severity: 'page' };
    const alert = { ...(payload.alerts[0] as object), labels: overloaded, fingerprint: 'aaaaaaaaaaaaaaa2' };
    await second.app.inject({
      method: 'POST',
      url: '/webhooks/alertmanager/page',
      payload: { ...payload, alerts: [alert] },
    });
    await second.healer.idle();
    expect(controls.shedder.status()).toMatchObject({ fraction: 0.25 });
    expect((await audit()).at(-1)).toMatchObject({
      action: 'shed-load',
      target: 'gateway',
      status: 'succeeded',
    });
  });

  it('verifies by the SLI when the runbook says so', async () => {
    const bySli = parseRunbook(
      'runbooks/sli.yaml',
      `
name: by-sli
description: restart, healed when the SLI is back
match: ['alertname="TargetDown"']
actions:
  - action: restart-service
    verify: { sliRecovered: { slo: inventory-availability, window: 5m }, within: 20s }
`,
    );
    const { healer: engine } = await startHealer({}, [bySli]);
    await stopTarget();
    await post(nextStart());
    await engine.idle();
    expect(isUp()).toBe(true);
    const rows = await audit();
    expect(rows).toMatchObject([
      { action: 'restart-service', status: 'succeeded', verification: 'recovered' },
    ]);
    expect(rows[0]?.detail).toContain('the SLI recovered');
  });

  const ROLLBACK = parseRunbook(
    'runbooks/target-down.yaml',
    `
name: target-down
description: roll back a bad release, else start what is down
match: ['alertname="TargetDown"']
actions:
  - action: rollback-release
    verify: { alertResolved: true, within: 20s }
  - action: restart-service
    verify: { alertResolved: true, within: 20s }
`,
  );

  it('rolls back a crash-looping bad release: the fault ends as ended by the healer, the alert resolves', async () => {
    const { healer: engine } = await startHealer({}, [ROLLBACK]);
    const { fault } = await faults.inject({ kind: 'crash-loop', service: TARGET, by: 'test' });
    // The new release: every start exits at once, the supervisor restarts it with backoff.
    await supervisor.get(TARGET)?.restart();
    await until(
      () => supervisor.get(TARGET)?.info().lastExit?.code === 1,
      10_000,
      'the bad release exiting on start',
    );
    expect(isUp()).toBe(false);
    await post(nextStart());
    await engine.idle();
    expect(isUp()).toBe(true);
    const rows = await audit();
    expect(rows.map((r) => [r.action, r.decision, r.status, r.verification])).toEqual([
      ['rollback-release', 'execute', 'succeeded', 'resolved'],
    ]);
    expect(rows[0]?.detail).toContain(`rolled back the bad release of ${TARGET}`);
    // Ground truth: the bad release ended, and the healer ended it.
    expect(faults.get(fault?.id ?? '')).toMatchObject({ endedBy: 'healer' });
    expect(faults.get(fault?.id ?? '')?.endedAt).not.toBeNull();
  });

  it('does nothing to a service that runs no bad release: not applicable, the next action heals it', async () => {
    const { healer: engine } = await startHealer({}, [ROLLBACK]);
    // A leak is no bad release: the rollback must not end it (only a restart of the process does).
    const { fault } = await faults.inject({ kind: 'memory-leak', service: TARGET, by: 'test' });
    await stopTarget();
    await post(nextStart());
    await engine.idle();
    expect(isUp()).toBe(true);
    const rows = await audit();
    expect(rows.map((r) => [r.action, r.decision, r.status])).toEqual([
      ['rollback-release', 'not-applicable', 'skipped'],
      ['restart-service', 'execute', 'succeeded'],
    ]);
    expect(rows[0]?.detail).toContain('nothing to roll back');
    expect(faults.get(fault?.id ?? '')?.endedAt).toBeNull();
  });

  it('scale-out is not applicable in embedded mode (one process per service): nothing changes, the next action runs', async () => {
    const scaleFirst = parseRunbook(
      'runbooks/target-down.yaml',
      `
name: target-down
description: add capacity, else start what is down
match: ['alertname="TargetDown"']
actions:
  - action: scale-out
    verify: { alertResolved: true, within: 20s }
  - action: restart-service
    verify: { alertResolved: true, within: 20s }
`,
    );
    const { healer: engine } = await startHealer({}, [scaleFirst]);
    await stopTarget();
    await post(nextStart());
    await engine.idle();
    expect(isUp()).toBe(true);
    const rows = await audit();
    expect(rows.map((r) => [r.action, r.decision, r.status])).toEqual([
      ['scale-out', 'not-applicable', 'skipped'],
      ['restart-service', 'execute', 'succeeded'],
    ]);
    expect(rows[0]?.detail).toContain(`one process per service: ${TARGET} cannot be scaled out`);
  });

  it('a rollback passes the same safeguards: dry-run records it and rolls nothing back', async () => {
    const { healer: engine } = await startHealer({ HEALER_DRY_RUN: true }, [ROLLBACK]);
    const { fault } = await faults.inject({ kind: 'crash-loop', service: TARGET, by: 'test' });
    await supervisor.get(TARGET)?.restart();
    await post(nextStart());
    await engine.idle();
    expect(await audit()).toMatchObject([
      { action: 'rollback-release', decision: 'dry-run', status: 'skipped' },
    ]);
    expect(faults.get(fault?.id ?? '')?.endedAt).toBeNull();
  });
});
