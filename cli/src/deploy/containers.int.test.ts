/**
 * The Glassbox containers, really run here (issue 11 §3): the image is built with podman from the local base
 * (deploy/images/build-local.sh: debootstrap root fs + Node 24 from npm, cached after the first build), then
 * every service runs as its own container — host network, read-only root filesystem, the machine's
 * PostgreSQL (a database per service) and RabbitMQ (a throw-away virtual host) — and a checkout through the
 * gateway container reaches CONFIRMED, while Debian's Prometheus scrapes every container's /metrics with
 * every target up. Slow (the image build); skipped with the reason where podman is not installed.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVICE_MANIFEST, serviceUrlEnv } from '@glassbox/contracts';
import { testServerUrl, withDatabase } from '@glassbox/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestVhost, type TestVhost } from '../../../packages/kit/test/bus/rabbitmq-harness.js';
import { dropDatabasesWithPrefix } from '../../../test/support/databases.js';
import { parseTokenMix } from '../args.js';
import { type LoadReport, runLoadTest } from '../load/generator.js';
import { freePorts } from '../ports.js';
import { ensureDatabases } from '../postgres.js';
import { findExecutable, type Monitoring, startMonitoring } from '../prometheus.js';
import { REPO_ROOT } from '../stack.js';
import { run } from './tools.js';

const podman = findExecutable(['podman']);
const prometheus = findExecutable(['prometheus']);
const skip = !podman || !prometheus || process.getuid?.() !== 0;
const reason = !podman
  ? 'podman is not installed (apt-get install podman runc; see docs/deploy.md)'
  : !prometheus
    ? 'prometheus is not installed (apt-get install prometheus)'
    : 'podman here runs as root only (rootful, runc)';
const IMAGE = 'localhost/glassbox:dev';
const tag = randomBytes(3).toString('hex');
const dbPrefix = `gbct_${tag}_`;
const containerName = (service: string) => `gbct-${tag}-${service}`;

let ports: Record<string, number> = {};
let opsPort = 0;
let vhost: TestVhost;
let monitoring: Monitoring;
let stateDir: string;
const started: string[] = [];
let buildSeconds = 0;

async function ready(url: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await fetch(url, { signal: AbortSignal.timeout(2000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}

describe.skipIf(skip)(`the Glassbox containers under podman${skip ? ` (${reason}; skipped)` : ''}`, () => {
  beforeAll(async () => {
    const t0 = Date.now();
    const build = run(join(REPO_ROOT, 'deploy', 'images', 'build-local.sh'), [IMAGE], {
      cwd: REPO_ROOT,
      timeoutMs: 900_000,
    });
    buildSeconds = (Date.now() - t0) / 1000;
    if (build.status !== 0)
      throw new Error(`image build failed:\n${build.stdout.slice(-3000)}\n${build.stderr.slice(-3000)}`);

    stateDir = await mkdtemp(join(tmpdir(), 'glassbox-containers-'));
    const free = await freePorts(SERVICE_MANIFEST.length + 2);
    ports = Object.fromEntries(SERVICE_MANIFEST.map((s, i) => [s.name, free[i]!]));
    opsPort = free[SERVICE_MANIFEST.length]!;
    const dbs = SERVICE_MANIFEST.flatMap((s) => (s.database ? [`${dbPrefix}${s.database}`] : []));
    await ensureDatabases(testServerUrl(), dbs);
    vhost = await createTestVhost('gbct');
    const token = randomBytes(24).toString('hex');
    const urls = Object.fromEntries(
      SERVICE_MANIFEST.map((s) => [serviceUrlEnv(s.name), `http://127.0.0.1:${ports[s.name]}`]),
    );
    for (const s of SERVICE_MANIFEST) {
      const env: Record<string, string> = {
        ...urls,
        PORT: String(ports[s.name]),
        HOST: '127.0.0.1',
        BUS_URL: vhost.url,
        INTERNAL_TOKEN: token,
        SEED_DEMO: 'true',
        LOG_LEVEL: 'info',
        DEPLOYMENT_ENVIRONMENT: 'container-test',
      };
      if (s.database) env.DATABASE_URL = withDatabase(testServerUrl(), `${dbPrefix}${s.database}`);
      if (s.name === 'payment') env.PAYMENT_WEBHOOK_SECRET = randomBytes(24).toString('hex');
      if (s.name === 'gateway') Object.assign(env, { OPS_PORT: String(opsPort), OPS_HOST: '127.0.0.1' });
      const args = [
        'run',
        '-d',
        '--name',
        containerName(s.name),
        '--network',
        'host',
        '--read-only',
        '--tmpfs',
        '/tmp',
      ];
      args.push('--restart', 'on-failure:5', '--stop-timeout', '15');
      for (const [k, v] of Object.entries(env)) args.push('-e', `${k}=${v}`);
      args.push(IMAGE, s.name);
      const started_ = run(podman!, args);
      if (started_.status !== 0) throw new Error(`podman run ${s.name}: ${started_.stderr}`);
      started.push(containerName(s.name));
    }
    for (const s of SERVICE_MANIFEST) {
      if (!(await ready(`http://127.0.0.1:${ports[s.name]}/readyz`, 120_000))) {
        const logs = run(podman!, ['logs', '--tail', '30', containerName(s.name)]);
        throw new Error(`${s.name} container never became ready:\n${logs.stdout}${logs.stderr}`);
      }
    }
    const [prometheusPort] = await freePorts(1);
    monitoring = await startMonitoring({
      prometheus: true,
      alertmanager: false,
      rootDir: REPO_ROOT,
      stateDir,
      timeScale: 15,
      targets: SERVICE_MANIFEST.map((s) => ({
        job: s.name,
        target: `127.0.0.1:${s.name === 'gateway' ? opsPort : ports[s.name]}`,
      })),
      prometheusPort: prometheusPort ?? 0,
      alertmanagerPort: 0,
    });
  }, 1_200_000);

  afterAll(async () => {
    if (podman && started.length > 0) run(podman, ['rm', '-f', '-t', '5', ...started], { timeoutMs: 60_000 });
    await monitoring?.stop();
    await vhost?.drop();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
    await dropDatabasesWithPrefix(testServerUrl(), dbPrefix);
    process.stderr.write(`[containers] image build took ${buildSeconds.toFixed(0)} s\n`);
  }, 120_000);

  it('runs every service from the one image as a non-root user with a read-only root filesystem', () => {
    for (const s of SERVICE_MANIFEST) {
      const inspect = run(podman!, [
        'inspect',
        containerName(s.name),
        '--format',
        '{{.Config.User}} {{.HostConfig.ReadonlyRootfs}} {{.State.Running}}',
      ]);
      expect(inspect.stdout.trim(), s.name).toBe('10001:10001 true true');
    }
    const labels = run(podman!, [
      'image',
      'inspect',
      IMAGE,
      '--format',
      '{{index .Labels "org.opencontainers.image.title"}}',
    ]);
    expect(labels.stdout.trim()).toBe('glassbox');
    // The image's HEALTHCHECK, run as the runtime runs it.
    for (const s of SERVICE_MANIFEST) {
      const health = run(podman!, ['healthcheck', 'run', containerName(s.name)]);
      expect(health.status, `${s.name} health check: ${health.stdout}${health.stderr}`).toBe(0);
    }
  });

  it('refuses an unknown process name, listing the ones it runs (exit 64)', () => {
    const result = run(podman!, ['run', '--rm', '--network', 'none', IMAGE, 'no-such-service']);
    expect(result.status).toBe(64);
    expect(result.stderr).toContain("no process named 'no-such-service'");
    for (const s of SERVICE_MANIFEST) expect(result.stderr).toContain(s.name);
  });

  it('runs the observatory from the same image: read-only root, its store on a volume, healthy', async () => {
    const [consolePort, otlpHttp, otlpGrpc] = await freePorts(3);
    const name = containerName('observatory');
    const volume = `${name}-data`;
    const args = ['run', '-d', '--name', name, '--network', 'host', '--read-only', '--tmpfs', '/tmp'];
    args.push(
      '-v',
      `${volume}:/var/lib/glassbox`,
      '-e',
      'HOST=127.0.0.1',
      '-e',
      `OBSERVATORY_PORT=${consolePort}`,
    );
    args.push('-e', `OTLP_HTTP_PORT=${otlpHttp}`, '-e', `OTLP_GRPC_PORT=${otlpGrpc}`, IMAGE, 'observatory');
    const result = run(podman!, args);
    expect(result.status, result.stderr).toBe(0);
    try {
      expect(await ready(`http://127.0.0.1:${consolePort}/api/services`, 60_000)).toBe(true);
      expect((await fetch(`http://127.0.0.1:${consolePort}/`)).status).toBe(200);
      const health = run(podman!, ['healthcheck', 'run', name]);
      expect(health.status, health.stdout + health.stderr).toBe(0);
    } finally {
      run(podman!, ['rm', '-f', '-t', '5', name]);
      run(podman!, ['volume', 'rm', '-f', volume]);
    }
  }, 90_000);

  it('serves a checkout through the gateway container that reaches CONFIRMED', async () => {
    const report: LoadReport = await runLoadTest({
      gateway: `http://127.0.0.1:${ports.gateway}`,
      rate: 1,
      durationMs: 30_000,
      maxJourneys: 3,
      concurrency: 3,
      tenant: 'demo',
      users: 0,
      tokens: parseTokenMix('ok=100'),
      requestTimeoutMs: 10_000,
      pollTimeoutMs: 30_000,
      drainMs: 30_000,
    });
    expect(report.orders.byStatus.CONFIRMED ?? 0, JSON.stringify(report.failures)).toBeGreaterThanOrEqual(1);
  }, 120_000);

  it('is scraped by a real Prometheus with every container target up', async () => {
    const deadline = Date.now() + 60_000;
    let health: string[] = [];
    for (;;) {
      const body = (await (await fetch(`${monitoring.prometheusUrl}/api/v1/targets`)).json()) as {
        data: { activeTargets: Array<{ labels: { job: string }; health: string; lastError: string }> };
      };
      health = body.data.activeTargets
        .map((t) => `${t.labels.job}:${t.health}${t.lastError ? ` ${t.lastError}` : ''}`)
        .sort();
      if (health.length === SERVICE_MANIFEST.length && health.every((h) => h.endsWith(':up'))) break;
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(health).toEqual(SERVICE_MANIFEST.map((s) => `${s.name}:up`).sort());
  }, 90_000);

  it('stops gracefully on SIGTERM (exit 0, well within the grace period)', () => {
    const name = containerName('catalog');
    const t0 = Date.now();
    const stop = run(podman!, ['stop', '-t', '20', name]);
    const seconds = (Date.now() - t0) / 1000;
    expect(stop.status, stop.stderr).toBe(0);
    expect(run(podman!, ['inspect', name, '--format', '{{.State.ExitCode}}']).stdout.trim()).toBe('0');
    expect(seconds).toBeLessThan(15);
    expect(run(podman!, ['logs', name]).stdout + run(podman!, ['logs', name]).stderr).toContain('SIGTERM');
  }, 60_000);
});
