/**
 * Browser test of the SLO and alert views: a real observatory (committed rule files, time scale 120) receives
 * the order service's checkout counter and a checkout span from the OpenTelemetry SDK over OTLP/HTTP; checkouts
 * start failing for a system reason, and headless Chromium sees the header badge turn red, the Alerts page
 * list the firing page alert with its labels, annotations and runbook link and take one click to the order
 * service's traces and logs around its start, and the SLOs page show the checkout-success SLO red with its
 * burn rate drawn against the alert thresholds. Screenshots: test-results/console/ (and docs/ with
 * UPDATE_DOCS_SCREENSHOTS=1).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningObservatory, startTestObservatory } from '../server/src/ingest/testing.js';
import { ensureConsoleBuilt, WEB_DIR, WEB_DIST } from './test/build-console.js';

const ROOT = join(WEB_DIR, '..', '..');
const shotsDir = join(ROOT, 'test-results', 'console');
const RULES = fileURLToPath(new URL('../../deploy/prometheus/rules', import.meta.url));

describe('console: SLOs, alerts and the header badge', () => {
  let obs: RunningObservatory;
  let browser: Browser;
  let page: Page;
  let meters: MeterProvider;
  let tracer: TracerProvider;
  let traffic: NodeJS.Timeout;
  let outcome: 'confirmed' | 'system_failure' = 'confirmed';
  const problems: string[] = [];
  let base: string;
  const shot = async (name: string) => {
    await page.screenshot({ path: join(shotsDir, `${name}.png`), fullPage: true });
    if (process.env.UPDATE_DOCS_SCREENSHOTS === '1') {
      await page.screenshot({ path: join(ROOT, 'docs', `${name}.png`), fullPage: true });
    }
  };

  beforeAll(async () => {
    mkdirSync(shotsDir, { recursive: true });
    await ensureConsoleBuilt();
    obs = await startTestObservatory({
      webDist: WEB_DIST,
      rulesDir: RULES,
      rulesDirExplicit: true,
      timeScale: 120,
      alertIntervalMs: 1000,
    });
    base = `http://127.0.0.1:${obs.ports.port}`;
    const resource = resourceFromAttributes({ 'service.name': 'order', 'service.instance.id': 'order-1' });
    meters = new MeterProvider({
      resource,
      readers: [
        new PeriodicExportingMetricReader({
          exporter: new OTLPMetricExporter({ url: obs.httpUrl('/v1/metrics') }),
          exportIntervalMillis: 250,
        }),
      ],
    });
    tracer = new TracerProvider({
      resource,
      spanProcessors: [
        new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: obs.httpUrl('/v1/traces') }) }),
      ],
    });
    const checkouts = meters.getMeter('glassbox.order').createCounter('glassbox.checkouts');
    traffic = setInterval(() => checkouts.add(5, { 'glassbox.checkout.outcome': outcome }), 50);
    tracer.getTracer('e2e').startSpan('POST /api/v1/orders').end();
    await tracer.forceFlush();

    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    page.setDefaultTimeout(30_000);
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
    });
  }, 120_000);

  afterAll(async () => {
    clearInterval(traffic);
    await browser?.close();
    await meters?.shutdown();
    await tracer?.shutdown();
    await obs?.close();
  });

  it('shows the SLOs healthy and no alert while checkouts succeed', async () => {
    await page.goto(`${base}/slos?range=15m`);
    const row = page.getByTestId('slo-checkout-checkout-success');
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 30_000 }).toBe('inactive');
    await expect.poll(async () => (await row.textContent()) ?? '', { timeout: 30_000 }).toContain('100%');
    const badge = page.getByTestId('alert-badge');
    expect(await badge.getAttribute('data-firing')).toBe('0');
    expect(problems).toEqual([]);
  }, 60_000);

  it('turns the badge red and lists the firing page alert with its context', async () => {
    outcome = 'system_failure';
    await page.goto(`${base}/alerts?range=15m`);
    const card = page.locator(
      '[data-testid="alert-card"][data-alert="CheckoutSuccessBurn"][data-severity="page"]',
    );
    await expect.poll(() => card.getAttribute('data-state'), { timeout: 60_000 }).toBe('firing');
    const badge = page.getByTestId('alert-badge');
    await expect.poll(() => badge.getAttribute('class'), { timeout: 10_000 }).toContain('alert-badge-firing');
    expect(await card.textContent()).toContain('Checkouts are failing for system reasons.');
    expect(await card.textContent()).toContain('sloth_id=checkout-checkout-success');
    const runbook = card.getByTestId('alert-runbook');
    expect(await runbook.getAttribute('href')).toBe('/docs/runbooks/checkout-success.md');
    const runbookPage = await fetch(`${base}/docs/runbooks/checkout-success.md`);
    expect(runbookPage.status).toBe(200);
    expect(await runbookPage.text()).toMatch(/^# /);
    await shot('alerts');

    await card.getByTestId('alert-traces').click();
    await page.waitForURL(/\/traces\?/);
    const url = new URL(page.url());
    expect(url.searchParams.get('service')).toBe('order');
    const from = Number(url.searchParams.get('from'));
    const to = Number(url.searchParams.get('to'));
    expect(to - from).toBeGreaterThanOrEqual(60_000);
    expect(from).toBeLessThan(Date.now());
    await page.goBack();
    await card.getByTestId('alert-logs').click();
    await page.waitForURL(/\/logs\?/);
    expect(new URL(page.url()).searchParams.get('service')).toBe('order');
    expect(problems).toEqual([]);
  }, 120_000);

  it('shows the SLO red with its burn rate against the thresholds', async () => {
    await page.goto(`${base}/slos?range=15m`);
    const row = page.getByTestId('slo-checkout-checkout-success');
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 30_000 }).toBe('firing');
    const color = await page.evaluate(
      `getComputedStyle(document.querySelector('[data-testid="slo-checkout-checkout-success"]')).backgroundColor`,
    );
    expect(color).toBe('rgb(251, 234, 234)'); // --bad-soft
    await page.getByRole('button', { name: '5m', exact: true }).click();
    await expect.poll(() => page.getByTestId('burn-threshold').count()).toBeGreaterThanOrEqual(1);
    const chart = page.getByTestId('burn-chart');
    expect(await chart.locator('path').count()).toBeGreaterThanOrEqual(15);
    await shot('slos');
    expect(problems).toEqual([]);
  }, 60_000);
});
