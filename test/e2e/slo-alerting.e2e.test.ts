/**
 * The done-when, on the real shop: every service as its own process with the observatory, at
 * `GLASSBOX_SLO_TIME_SCALE=60`, with Debian's Prometheus (scraping every service, the observatory and the
 * supervisor, with the scaled rules) and Alertmanager (deploy/alertmanager/alertmanager.yml, its webhook URLs
 * pointed at this test's receiver) beside it, while the load generator runs journeys through the gateway.
 * Stopping inventory through the control API makes checkouts fail for a system reason:
 * - the observatory's checkout-success page alert fires in `GET /api/alerts` within 60 s, and the console
 *   shows the SLO red with the header badge;
 * - Prometheus shows the same burn alert pending, then firing, in `/api/v1/alerts`, and the webhook receiver
 *   gets it through Alertmanager's page route;
 * starting inventory again resolves the alert. The SLOs page is saved as docs/console-slos.png.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testServerUrl } from '@glassbox/kit/testing';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTokenMix } from '../../cli/src/args.js';
import { runLoadTest } from '../../cli/src/load/generator.js';
import { freePorts } from '../../cli/src/ports.js';
import { type Monitoring, scrapeTargets, startMonitoring } from '../../cli/src/prometheus.js';
import { SERVICE_NAMES } from '../../cli/src/services.js';
import { REPO_ROOT, startStack } from '../../cli/src/stack.js';
import { dropDatabasesWithPrefix } from '../support/databases.js';

const ROOT = REPO_ROOT;
const shots = join(ROOT, 'test-results', 'slo-alerting');
const dbPrefix = `gbslo_${randomBytes(3).toString('hex')}_`;
const ALERT = 'CheckoutSuccessBurn';

let stack: Awaited<ReturnType<typeof startStack>>;
let monitoring: Monitoring;
let browser: Browser;
let page: Page;
let stateDir: string;
let receiver: http.Server;
const received: Array<{
  path: string;
  body: { alerts?: Array<{ labels: Record<string, string>; status: string }> };
}> = [];
const load = new AbortController();
let lastProgress: unknown;
let loadRun: Promise<unknown>;

type ObsAlert = { name: string; severity: string; state: string };
type PromAlert = { labels: Record<string, string>; state: string };

const observatoryPageAlert = async (): Promise<ObsAlert | undefined> => {
  const res = await fetch(`${stack.urls.observatory}/api/alerts`);
  const body = (await res.json()) as { alerts: ObsAlert[] };
  return body.alerts.find((a) => a.name === ALERT && a.severity === 'page');
};
const prometheusPageAlert = async (): Promise<PromAlert | undefined> => {
  const res = await fetch(`${monitoring.prometheusUrl}/api/v1/alerts`);
  const body = (await res.json()) as { data: { alerts: PromAlert[] } };
  return body.data.alerts.find((a) => a.labels.alertname === ALERT && a.labels.severity === 'page');
};

/** What the observatory saw of the checkout SLO (for a failure message). */
async function checkoutState(): Promise<string> {
  const slos = (await (await fetch(`${stack.urls.observatory}/api/slos`)).json()) as {
    slos: Array<{ id: string; errorRatio: unknown; alerts: unknown }>;
  };
  const alerts = (await (await fetch(`${stack.urls.observatory}/api/alerts`)).json()) as {
    alerts: Array<{ name: string; state: string; service: string }>;
    evaluation: unknown;
  };
  return JSON.stringify({
    checkout: slos.slos.find((s) => s.id === 'checkout-checkout-success'),
    alerts: alerts.alerts.map((a) => `${a.name}/${a.service}:${a.state}`),
    evaluation: alerts.evaluation,
    load: lastProgress,
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) {
      const seen = await checkoutState().catch((err: Error) => err.message);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; the observatory saw ${seen}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  stateDir = await mkdtemp(join(tmpdir(), 'glassbox-slo-'));
  receiver = http.createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => {
      text += c.toString();
    });
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: JSON.parse(text || '{}') });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  const amConfig = join(stateDir, 'alertmanager.yml');
  writeFileSync(
    amConfig,
    readFileSync(join(ROOT, 'deploy', 'alertmanager', 'alertmanager.yml'), 'utf8').replaceAll(
      'http://127.0.0.1:8089',
      hook,
    ),
  );

  stack = await startStack({
    // Without the healer: this test watches the alert of a stopped service burn; the healer would start it
    // again within seconds (test/e2e/auto-heal.e2e.test.ts is that loop).
    services: SERVICE_NAMES.filter((s) => s !== 'healer'),
    observatory: true,
    logs: process.env.E2E_LOGS ? 'inherit' : 'silent',
    ports: 'auto',
    databaseUrl: testServerUrl(),
    dbPrefix,
    stateDir,
    env: { GLASSBOX_SLO_TIME_SCALE: '60', LOG_LEVEL: 'warn' },
  });
  const [prometheusPort, alertmanagerPort] = await freePorts(2);
  monitoring = await startMonitoring({
    prometheus: true,
    alertmanager: true,
    rootDir: ROOT,
    stateDir,
    timeScale: 60,
    targets: scrapeTargets(stack),
    prometheusPort: prometheusPort ?? 0,
    alertmanagerPort: alertmanagerPort ?? 0,
    alertmanagerConfig: amConfig,
  });
  // A light load: on a busy two-core machine more journeys only slow every checkout past the order service's
  // answer budget, and how fast a dependency failure shows depends on that.
  loadRun = runLoadTest({
    gateway: stack.urls.gateway,
    rate: 2,
    durationMs: 15 * 60_000,
    concurrency: 60,
    tenant: 'demo',
    users: 0,
    tokens: parseTokenMix('ok=90,declined=10'),
    requestTimeoutMs: 5000,
    pollTimeoutMs: 5000,
    drainMs: 1000,
    progressIntervalMs: 2000,
    onProgress: (p) => {
      lastProgress = p;
    },
    signal: load.signal,
  }).catch(() => undefined);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  page.setDefaultTimeout(30_000);
}, 300_000);

afterAll(async () => {
  load.abort();
  await loadRun;
  await browser?.close();
  await monitoring?.stop();
  await stack?.stop();
  await new Promise((r) => receiver?.close(r));
  await rm(stateDir, { recursive: true, force: true });
  await dropDatabasesWithPrefix(testServerUrl(), dbPrefix);
}, 120_000);

describe('SLO alerting on the real shop at time scale 60', () => {
  it('measures the checkout SLOs while the shop is healthy, with no page alert', async () => {
    await until(
      'the checkout-success SLI',
      async () => {
        const res = await fetch(`${stack.urls.observatory}/api/slos`);
        const { slos } = (await res.json()) as {
          slos: Array<{ id: string; sli: Record<string, number | null> }>;
        };
        const sli = slos.find((s) => s.id === 'checkout-checkout-success')?.sli['5m'];
        return sli !== null && sli !== undefined && sli > 0.99 ? sli : undefined;
      },
      120_000,
    );
    expect(await observatoryPageAlert()).toBeUndefined();
    // Prometheus scrapes every target, the supervisor too. Its discovery hands targets to the scrape loop in
    // batches (every 5 s), so a Prometheus started moments ago may not list them yet: wait for the list.
    type Targets = { data: { activeTargets: Array<{ labels: { job: string }; health: string }> } };
    const expected = [...stack.services, 'observatory', 'supervisor'].sort();
    const jobs = await until(
      'Prometheus listing every target',
      async () => {
        const targets = (await (await fetch(`${monitoring.prometheusUrl}/api/v1/targets`)).json()) as Targets;
        const listed = targets.data.activeTargets.map((t) => t.labels.job).sort();
        return listed.length >= expected.length ? listed : undefined;
      },
      30_000,
    );
    expect(jobs).toEqual(expected);
    // Every target answered a scrape. On a loaded two-core machine a 1 s scrape (15 s at scale 60) may time out
    // now and then, so this asks whether each was up in the last minute, not at one instant.
    const upJobs = await until(
      'every target scraped',
      async () => {
        const r = (await (
          await fetch(
            `${monitoring.prometheusUrl}/api/v1/query?query=${encodeURIComponent('max by (job) (max_over_time(up[1m]))')}`,
          )
        ).json()) as { data: { result: Array<{ metric: { job: string }; value: [number, string] }> } };
        const up = r.data.result.filter((x) => x.value[1] === '1').map((x) => x.metric.job);
        return up.length === expected.length ? up.sort() : undefined;
      },
      60_000,
    );
    expect(upJobs).toEqual(expected);
  }, 180_000);

  it('stopping inventory fires the page alert within 60 s in the observatory and in Prometheus (pending, then firing), and Alertmanager delivers it', async () => {
    const stop = await fetch(`${stack.urls.control}/services/inventory/stop`, { method: 'POST' });
    expect(stop.status).toBe(200);
    const stoppedAt = Date.now();
    const promStates = new Set<string>();
    const watchPrometheus = until(
      'Prometheus firing',
      async () => {
        const a = await prometheusPageAlert();
        if (a) promStates.add(a.state);
        return a?.state === 'firing' ? a : undefined;
      },
      120_000,
    );
    const obsStates = new Set<string>();
    await until(
      'the observatory firing',
      async () => {
        const a = await observatoryPageAlert();
        if (a) obsStates.add(a.state);
        return a?.state === 'firing' ? a : undefined;
      },
      60_000,
    );
    const firedAfterMs = Date.now() - stoppedAt;
    expect(firedAfterMs).toBeLessThan(60_000);
    expect(obsStates.has('pending')).toBe(true);
    process.stdout.write(
      `[slo-alerting] observatory page alert firing ${firedAfterMs} ms after inventory stopped\n`,
    );

    await watchPrometheus;
    expect(promStates.has('pending')).toBe(true);
    process.stdout.write(
      `[slo-alerting] Prometheus firing ${Date.now() - stoppedAt} ms after inventory stopped\n`,
    );

    const delivered = await until(
      'Alertmanager delivering the page alert',
      async () =>
        received.find(
          (r) =>
            r.path === '/webhooks/alertmanager/page' &&
            (r.body.alerts ?? []).some((a) => a.labels.alertname === ALERT && a.status === 'firing'),
        ),
      60_000,
    );
    expect(delivered.path).toBe('/webhooks/alertmanager/page');
  }, 240_000);

  it('the console shows the SLO red and the badge firing', async () => {
    await page.goto(`${stack.urls.observatory}/slos?range=15m`);
    const row = page.getByTestId('slo-checkout-checkout-success');
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 30_000 }).toBe('firing');
    await expect
      .poll(() => page.getByTestId('alert-badge').getAttribute('class'), { timeout: 10_000 })
      .toContain('alert-badge-firing');
    await page.screenshot({ path: join(shots, 'slos.png'), fullPage: true });
    if (process.env.UPDATE_DOCS_SCREENSHOTS === '1') {
      await page.screenshot({ path: join(ROOT, 'docs', 'console-slos.png'), fullPage: true });
    }
    await page.goto(`${stack.urls.observatory}/alerts?range=15m`);
    await expect
      .poll(
        () =>
          page
            .locator(`[data-testid="alert-card"][data-alert="${ALERT}"][data-severity="page"]`)
            .getAttribute('data-state'),
        { timeout: 30_000 },
      )
      .toBe('firing');
    await page.screenshot({ path: join(shots, 'alerts.png'), fullPage: true });
  }, 90_000);

  it('starting inventory again resolves the alert', async () => {
    const start = await fetch(`${stack.urls.control}/services/inventory/start?wait=ready`, {
      method: 'POST',
    });
    expect(start.status).toBe(200);
    const startedAt = Date.now();
    await until(
      'the observatory page alert resolved',
      async () => ((await observatoryPageAlert()) ? undefined : true),
      180_000,
    );
    process.stdout.write(`[slo-alerting] resolved ${Date.now() - startedAt} ms after inventory started\n`);
    const { history } = (await (await fetch(`${stack.urls.observatory}/api/alerts`)).json()) as {
      history: Array<{ name: string; severity: string; to: string }>;
    };
    expect(history.find((h) => h.name === ALERT && h.severity === 'page')?.to).toBe('resolved');
    await until(
      'Prometheus resolved',
      async () => ((await prometheusPageAlert()) ? undefined : true),
      120_000,
    );
  }, 320_000);
});
