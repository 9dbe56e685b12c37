import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { type FixtureGateway, startFixtureGateway } from '../../test-fixtures/gateway.js';
import { parseTokenMix } from '../args.js';
import { freePorts } from '../ports.js';
import { GatewayUnreachableError, type LoadReport, LoadSetupError, runLoadTest } from './generator.js';

const MAIN = fileURLToPath(new URL('../main.ts', import.meta.url));
const ROOT = path.resolve(path.dirname(MAIN), '..', '..');

const gateways: FixtureGateway[] = [];
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((g) => g.close()));
});

async function gateway(options: Parameters<typeof startFixtureGateway>[0] = {}): Promise<FixtureGateway> {
  const g = await startFixtureGateway(options);
  gateways.push(g);
  return g;
}

const step = (report: LoadReport, name: string) => report.steps.find((s) => s.step === name);

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'cli', 'main.js'), 'load', ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('load generator against a fixture gateway', () => {
  it('runs the journeys on schedule and its counts match what the server saw', async () => {
    const gw = await gateway({ failEveryNthView: 7, slowMs: 300 });
    const progress: number[] = [];
    const report = await runLoadTest({
      gateway: gw.url,
      rate: 20,
      durationMs: 2000,
      concurrency: 100,
      tenant: 'demo',
      users: 3,
      tokens: parseTokenMix('ok=60,declined=20,slow=10,cancel=10'),
      arrivals: 'uniform',
      seed: 7,
      pollIntervalMs: 50,
      progressIntervalMs: 200,
      onProgress: (p) => progress.push(p.started),
    });

    // Open model, uniform arrivals: exactly rate × duration journeys, all finished.
    expect(report.journeys).toMatchObject({ started: 40, completed: 40, aborted: 0, dropped: 0 });
    expect(report.journeys.ok + report.journeys.failed).toBe(40);
    expect(report.elapsedMs).toBeGreaterThanOrEqual(1900);
    expect(report.elapsedMs).toBeLessThan(8000);
    expect(progress.length).toBeGreaterThan(3);
    expect(report.users).toEqual({ registered: 3, loggedIn: 3, demoFallback: false });

    expect(step(report, 'register')).toMatchObject({ count: 3, ok: 3 });
    expect(step(report, 'login')).toMatchObject({ count: 3, ok: 3 });
    expect(gw.count('POST', '/api/v1/auth/register', 201)).toBe(3);

    const browse = (step(report, 'browse')?.count ?? 0) + (step(report, 'browse_next')?.count ?? 0);
    expect(browse).toBe(gw.count('GET', '/api/v1/products'));
    expect(step(report, 'browse')?.count).toBeGreaterThanOrEqual(40);

    const view = step(report, 'view');
    expect(view?.count).toBe(gw.count('GET', '/api/v1/products/:id'));
    expect(view?.errors).toEqual({ '503': gw.count('GET', '/api/v1/products/:id', 503) });
    expect(view?.errors['503']).toBeGreaterThan(0);
    // A failed view ends the journey: every failed journey is one injected 503.
    expect(report.journeys.failed).toBe(view?.errors['503']);

    const checkout = step(report, 'checkout');
    expect(checkout?.count).toBe(gw.counts.ordersCreated);
    expect(checkout?.ok).toBe(checkout?.count);
    expect(report.orders.placed).toBe(gw.counts.ordersCreated);
    expect(gw.counts.idempotentReplays).toBe(0);
    expect(step(report, 'poll')?.count).toBe(gw.count('GET', '/api/v1/orders/:id'));

    // Orders by final status are what the server told the clients.
    const serverStatuses: Record<string, number> = {};
    for (const s of gw.counts.finalStatuses.values()) serverStatuses[s] = (serverStatuses[s] ?? 0) + 1;
    expect(report.orders.byStatus).toEqual(serverStatuses);
    const serverByToken: Record<string, Record<string, number>> = {};
    for (const [id, s] of gw.counts.finalStatuses) {
      const token = gw.counts.orderTokens.get(id) ?? '';
      const row = serverByToken[token] ?? {};
      row[s] = (row[s] ?? 0) + 1;
      serverByToken[token] = row;
    }
    expect(report.orders.byToken).toEqual(serverByToken);
    expect(Object.keys(report.orders.byToken.tok_declined ?? {})).toEqual(['FAILED']);
    expect(Object.keys(report.orders.byToken.tok_cancel ?? { CANCELLED: 0 })).toEqual(['CANCELLED']);
    expect(step(report, 'order_settle')?.count).toBe(report.orders.placed);

    for (const s of report.steps) {
      expect(s.p50Ms).not.toBeNull();
      expect(s.p50Ms ?? 0).toBeLessThanOrEqual(s.p95Ms ?? 0);
      expect(s.p95Ms ?? 0).toBeLessThanOrEqual(s.p99Ms ?? 0);
      expect(s.p99Ms ?? 0).toBeLessThanOrEqual(s.maxMs ?? 0);
    }
    // tok_slow orders wait for the server's 300 ms: the slowest settle takes at least that long.
    expect(step(report, 'order_settle')?.maxMs ?? 0).toBeGreaterThanOrEqual(250);
    expect(report.failures.length).toBeGreaterThan(0);
    expect(report.failures[0]).toMatchObject({ step: 'view', outcome: '503', detail: 'injected' });
    expect(report.failures[0]?.traceId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('the same seed makes the same choices', async () => {
    const run = async (): Promise<LoadReport> =>
      runLoadTest({
        gateway: (await gateway()).url,
        rate: 50,
        durationMs: 400,
        concurrency: 100,
        tenant: 'demo',
        users: 0,
        tokens: parseTokenMix('ok=50,declined=50'),
        arrivals: 'uniform',
        seed: 99,
        pollIntervalMs: 20,
      });
    const a = await run();
    const b = await run();
    expect(a.journeys.started).toBe(20);
    expect(a.orders.byToken).toEqual(b.orders.byToken);
    expect(step(a, 'browse_next')?.count).toBe(step(b, 'browse_next')?.count);
  });

  it('drops arrivals beyond the concurrency cap instead of queueing them (open model)', async () => {
    const gw = await gateway({ delayMs: 150 });
    const report = await runLoadTest({
      gateway: gw.url,
      rate: 40,
      durationMs: 1000,
      concurrency: 3,
      tenant: 'demo',
      users: 0,
      tokens: parseTokenMix('ok=1'),
      arrivals: 'uniform',
      seed: 1,
      pollIntervalMs: 20,
    });
    expect(report.journeys.started + report.journeys.dropped).toBe(40);
    expect(report.journeys.dropped).toBeGreaterThan(20);
    expect(report.journeys.started).toBeGreaterThanOrEqual(3);
  });

  it('logs in again when a token stops working, and falls back to the demo customer', async () => {
    const gw = await gateway({ tokenUses: 4, registrationClosed: true });
    const report = await runLoadTest({
      gateway: gw.url,
      rate: 10,
      durationMs: 1000,
      concurrency: 50,
      tenant: 'demo',
      users: 2,
      tokens: parseTokenMix('ok=1'),
      arrivals: 'uniform',
      seed: 3,
      pollIntervalMs: 20,
    });
    expect(report.users).toEqual({ registered: 0, loggedIn: 1, demoFallback: true });
    expect(step(report, 'register')?.errors).toEqual({ '403': 2 });
    expect(step(report, 'login')?.count).toBeGreaterThan(2);
    expect(report.journeys.failed).toBe(0);
    expect(report.orders.byStatus).toEqual({ CONFIRMED: report.orders.placed });
  });

  it('retries a checkout whose outcome is unknown with the same Idempotency-Key, and counts it', async () => {
    const gw = await gateway({ loseEveryNthOrder: 3 });
    const report = await runLoadTest({
      gateway: gw.url,
      rate: 20,
      durationMs: 600,
      concurrency: 50,
      tenant: 'demo',
      users: 0,
      tokens: parseTokenMix('ok=1'),
      arrivals: 'uniform',
      seed: 5,
      pollIntervalMs: 20,
    });
    // 12 checkouts; every third new order's answer was lost (4) and its retry answered the same order.
    expect(report.journeys).toMatchObject({ started: 12, ok: 12, failed: 0 });
    expect(gw.counts.ordersCreated).toBe(12);
    expect(gw.count('POST', '/api/v1/orders', 503)).toBe(4);
    expect(gw.counts.idempotentReplays).toBe(4);
    expect(report.orders).toMatchObject({ placed: 12, byStatus: { CONFIRMED: 12 } });
    expect(report.checkoutRetries).toEqual({
      retried: 4,
      recovered: 4,
      attempts: 4,
      byReason: { OUTCOME_UNKNOWN: 4 },
    });
  });

  it('gives up on an order that never settles (TIMEOUT) and stops within its bounds', async () => {
    const gw = await gateway();
    const t0 = Date.now();
    const report = await runLoadTest({
      gateway: gw.url,
      rate: 10,
      durationMs: 500,
      concurrency: 50,
      tenant: 'demo',
      users: 0,
      tokens: parseTokenMix('never=1'),
      arrivals: 'uniform',
      seed: 3,
      pollIntervalMs: 50,
      pollTimeoutMs: 400,
    });
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(report.orders.byStatus).toEqual({ TIMEOUT: 5 });
    expect(report.journeys).toMatchObject({ started: 5, failed: 5 });
  });

  it('aborts in-flight journeys after the drain period', async () => {
    const gw = await gateway();
    const t0 = Date.now();
    const report = await runLoadTest({
      gateway: gw.url,
      rate: 10,
      durationMs: 300,
      concurrency: 50,
      tenant: 'demo',
      users: 0,
      tokens: parseTokenMix('never=1'),
      arrivals: 'uniform',
      pollIntervalMs: 50,
      pollTimeoutMs: 60_000,
      drainMs: 300,
    });
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(report.journeys).toMatchObject({ started: 3, aborted: 3, completed: 0 });
  });

  it('fails fast when the gateway is unreachable or nobody can log in', async () => {
    const [port] = await freePorts(1);
    await expect(
      runLoadTest({
        gateway: `http://127.0.0.1:${port}`,
        rate: 1,
        durationMs: 1000,
        concurrency: 1,
        tenant: 'demo',
        users: 0,
        tokens: parseTokenMix('ok=1'),
      }),
    ).rejects.toThrow(GatewayUnreachableError);
    const gw = await gateway({ registrationClosed: true });
    await expect(
      runLoadTest({
        gateway: gw.url,
        rate: 1,
        durationMs: 1000,
        concurrency: 1,
        tenant: 'nope',
        users: 1,
        tokens: parseTokenMix('ok=1'),
      }),
    ).rejects.toThrow(LoadSetupError);
  });

  it('CLI: --json report on stdout, exit 0; exit 1 when the gateway is down', async () => {
    const gw = await gateway();
    const ok = await runCli([
      '--gateway',
      gw.url,
      '--rate',
      '10',
      '--duration',
      '1s',
      '--arrivals',
      'uniform',
      '--users',
      '1',
      '--json',
    ]);
    expect(ok.code).toBe(0);
    const report = JSON.parse(ok.stdout) as LoadReport;
    expect(report.journeys.started).toBe(10);
    expect(report.orders.placed).toBe(gw.counts.ordersCreated);

    const human = await runCli(['--gateway', gw.url, '--rate', '5', '--duration', '1s', '--users', '0']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/step\s+count\s+ok\s+errors\s+p50 ms\s+p95 ms\s+p99 ms/);
    expect(human.stdout).toMatch(/orders: \d+ placed/);

    const [port] = await freePorts(1);
    const down = await runCli(['--gateway', `http://127.0.0.1:${port}`, '--duration', '1s']);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/unreachable/);

    const usage = await runCli(['--rate', 'lots']);
    expect(usage.code).toBe(2);
  }, 120_000);
});
