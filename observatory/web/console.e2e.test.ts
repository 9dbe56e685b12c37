/**
 * Browser test of the console: a real observatory (in-memory DuckDB, free ports) receives a
 * multi-service checkout trace, its logs and metrics from the OpenTelemetry SDK's OTLP/HTTP
 * protobuf exporters; headless Chromium then walks the console the way a person would —
 * overview → trace search → waterfall → the trace's logs → back to the span — plus the service
 * page, the service map, the metrics explorer and the live tail. Screenshots go to
 * test-results/console/.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type Context,
  ROOT_CONTEXT,
  SeverityNumber,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BoundPorts, buildObservatory, listenObservatory, type Observatory } from '../server/src/app.js';
import { DEFAULT_CONFIG, type ObservatoryConfig } from '../server/src/config.js';
import { ensureConsoleBuilt } from './test/build-console.js';

const webDir = dirname(fileURLToPath(import.meta.url));
const distDir = join(webDir, 'dist');
const shotsDir = join(webDir, '..', '..', 'test-results', 'console');
const SERVICES = ['gateway', 'order', 'inventory', 'payment', 'notification'] as const;
type Service = (typeof SERVICES)[number];

/** One OpenTelemetry SDK per service (own resource), exporting OTLP/HTTP protobuf to the observatory. */
class ServiceSdk {
  readonly tracerProvider: TracerProvider;
  readonly loggerProvider: LoggerProvider;
  readonly meterProvider: MeterProvider;

  constructor(
    readonly service: string,
    otlpBase: string,
  ) {
    const resource = resourceFromAttributes({
      'service.name': service,
      'service.namespace': 'glassbox',
      'service.version': '0.1.0',
      'service.instance.id': `${service}-e2e`,
      'deployment.environment.name': 'test',
    });
    this.tracerProvider = new TracerProvider({
      resource,
      spanProcessors: [
        new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${otlpBase}/v1/traces` }) }),
      ],
    });
    this.loggerProvider = new LoggerProvider({
      resource,
      processors: [
        new BatchLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${otlpBase}/v1/logs` }) }),
      ],
    });
    this.meterProvider = new MeterProvider({
      resource,
      readers: [
        new PeriodicExportingMetricReader({
          exporter: new OTLPMetricExporter({ url: `${otlpBase}/v1/metrics` }),
          exportIntervalMillis: 60_000,
        }),
      ],
    });
  }

  get tracer() {
    return this.tracerProvider.getTracer('glassbox-e2e');
  }

  get logger() {
    return this.loggerProvider.getLogger('glassbox-e2e');
  }

  async flush(): Promise<void> {
    await Promise.all([
      this.tracerProvider.forceFlush(),
      this.loggerProvider.forceFlush(),
      this.meterProvider.forceFlush(),
    ]);
  }

  async shutdown(): Promise<void> {
    await Promise.all([
      this.tracerProvider.shutdown(),
      this.loggerProvider.shutdown(),
      this.meterProvider.shutdown(),
    ]);
  }
}

const under = (parent: Span): Context => trace.setSpanContext(ROOT_CONTEXT, parent.spanContext());

interface Sent {
  traceId: string;
  spansPerService: Record<Service, number>;
  logCount: number;
  /** The payment SERVER span, which has a log line (to come back to from the logs page). */
  paymentSpanId: string;
  /** When the root span started (ms). */
  startMs: number;
}

/**
 * A checkout as the real services make it: gateway → order → (db, inventory, payment →
 * provider) and an event to notification, with explicit times so the waterfall has shape.
 */
function sendCheckout(sdk: Record<Service, ServiceSdk>, t0: number): Sent {
  const counts: Record<Service, number> = { gateway: 0, order: 0, inventory: 0, payment: 0, notification: 0 };
  let logCount = 0;
  const start = (
    service: Service,
    name: string,
    kind: SpanKind,
    atMs: number,
    parent?: Span,
    attributes: Record<string, string | number> = {},
  ): Span => {
    counts[service]++;
    return sdk[service].tracer.startSpan(
      name,
      { kind, startTime: t0 + atMs, attributes },
      parent ? under(parent) : ROOT_CONTEXT,
    );
  };
  const log = (service: Service, span: Span, atMs: number, severity: SeverityNumber, body: string) => {
    logCount++;
    sdk[service].logger.emit({
      timestamp: t0 + atMs,
      severityNumber: severity,
      severityText: SeverityNumber[severity],
      body,
      attributes: { 'tenant.id': 'demo' },
      context: under(span),
    });
  };
  const server = (route: string, method = 'POST', status = 201) => ({
    'http.request.method': method,
    'http.route': route,
    'http.response.status_code': status,
  });

  const root = start(
    'gateway',
    'POST /api/v1/orders',
    SpanKind.SERVER,
    0,
    undefined,
    server('/api/v1/orders'),
  );
  const gwCall = start('gateway', 'POST', SpanKind.CLIENT, 2, root, {
    'url.full': 'http://127.0.0.1:8085/orders',
  });
  const order = start('order', 'POST /orders', SpanKind.SERVER, 3, gwCall, server('/orders'));
  const insert = start('order', 'pg.query:INSERT glassbox', SpanKind.CLIENT, 4, order, {
    'db.system.name': 'postgresql',
    'db.query.text': 'INSERT INTO orders (id, tenant_id, status) VALUES ($1, $2, $3)',
  });
  insert.end(t0 + 7);
  const invCall = start('order', 'POST', SpanKind.CLIENT, 8, order, {
    'url.full': 'http://127.0.0.1:8084/reservations',
  });
  const inventory = start(
    'inventory',
    'POST /reservations',
    SpanKind.SERVER,
    9,
    invCall,
    server('/reservations'),
  );
  log('inventory', inventory, 15, SeverityNumber.INFO, 'stock reserved for order ord_e2e');
  inventory.end(t0 + 17);
  invCall.end(t0 + 18);
  const payCall = start('order', 'POST', SpanKind.CLIENT, 19, order, {
    'url.full': 'http://127.0.0.1:8086/payments',
  });
  const payment = start('payment', 'POST /payments', SpanKind.SERVER, 20, payCall, server('/payments'));
  const provider = start('payment', 'provider.authorize', SpanKind.CLIENT, 21, payment, {
    'payment.token': 'tok_slow',
  });
  provider.addEvent('retry', { attempt: 2 }, t0 + 60);
  provider.end(t0 + 118);
  log('payment', payment, 119, SeverityNumber.WARN, 'payment authorized after a slow provider answer');
  payment.end(t0 + 120);
  payCall.end(t0 + 121);
  const publish = start('order', 'orders publish', SpanKind.PRODUCER, 122, order, {
    'messaging.system': 'rabbitmq',
    'messaging.destination.name': 'orders',
  });
  publish.end(t0 + 123);
  log('order', order, 124, SeverityNumber.INFO, 'order ord_e2e confirmed');
  order.end(t0 + 125);
  gwCall.end(t0 + 126);
  log('gateway', root, 127, SeverityNumber.INFO, 'request completed');
  root.setStatus({ code: SpanStatusCode.OK });
  root.end(t0 + 128);
  const consume = sdk.notification.tracer.startSpan(
    'orders process',
    {
      kind: SpanKind.CONSUMER,
      startTime: t0 + 130,
      links: [{ context: publish.spanContext() }],
      attributes: { 'messaging.system': 'rabbitmq', 'messaging.destination.name': 'orders' },
    },
    under(publish),
  );
  counts.notification++;
  log('notification', consume, 140, SeverityNumber.INFO, 'confirmation email queued for ord_e2e');
  consume.end(t0 + 145);

  return {
    traceId: root.spanContext().traceId,
    spansPerService: counts,
    logCount,
    paymentSpanId: payment.spanContext().spanId,
    startMs: t0,
  };
}

/** Other traffic around it: product listings and a failed checkout. */
function sendNoise(sdk: Record<Service, ServiceSdk>, t0: number): void {
  for (let i = 0; i < 4; i++) {
    const root = sdk.gateway.tracer.startSpan('GET /api/v1/products', {
      kind: SpanKind.SERVER,
      startTime: t0 + i * 300,
      attributes: {
        'http.request.method': 'GET',
        'http.route': '/api/v1/products',
        'http.response.status_code': 200,
      },
    });
    root.end(t0 + i * 300 + 9);
  }
  const failed = sdk.gateway.tracer.startSpan('POST /api/v1/orders', {
    kind: SpanKind.SERVER,
    startTime: t0 + 1500,
    attributes: {
      'http.request.method': 'POST',
      'http.route': '/api/v1/orders',
      'http.response.status_code': 502,
    },
  });
  const order = sdk.order.tracer.startSpan(
    'POST /orders',
    {
      kind: SpanKind.SERVER,
      startTime: t0 + 1502,
      attributes: { 'http.route': '/orders', 'http.response.status_code': 502 },
    },
    under(failed),
  );
  order.recordException(new Error('payment service unavailable'), t0 + 1540);
  order.setStatus({ code: SpanStatusCode.ERROR, message: 'payment service unavailable' });
  order.end(t0 + 1541);
  failed.setStatus({ code: SpanStatusCode.ERROR, message: 'HTTP 502' });
  failed.end(t0 + 1542);
}

/** A batch job with a wide, deep tree: 1 + 30 × (1 + 50) spans, to exercise the virtualized list. */
function sendBigTrace(sdk: Record<Service, ServiceSdk>, t0: number): { traceId: string; spanCount: number } {
  const tracer = sdk.inventory.tracer;
  const root = tracer.startSpan('stock reconciliation', { kind: SpanKind.INTERNAL, startTime: t0 });
  let count = 1;
  for (let i = 0; i < 30; i++) {
    const batch = tracer.startSpan(`batch ${i}`, { startTime: t0 + i * 20 }, under(root));
    count++;
    for (let j = 0; j < 50; j++) {
      const row = tracer.startSpan(
        `reconcile sku-${i}-${j}`,
        { startTime: t0 + i * 20 + j * 0.3 },
        under(batch),
      );
      row.end(t0 + i * 20 + j * 0.3 + 0.25);
      count++;
    }
    batch.end(t0 + i * 20 + 16);
  }
  root.end(t0 + 620);
  return { traceId: root.spanContext().traceId, spanCount: count };
}

function recordMetrics(sdk: Record<Service, ServiceSdk>): void {
  for (const service of SERVICES) {
    const meter = sdk[service].meterProvider.getMeter('glassbox-e2e');
    const duration = meter.createHistogram('http.server.request.duration', {
      unit: 's',
      advice: { explicitBucketBoundaries: [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5, 5] },
    });
    for (const seconds of [0.004, 0.012, 0.03, 0.09, 0.12]) {
      duration.record(seconds, { 'http.route': `/${service}`, 'http.request.method': 'POST' });
    }
  }
  sdk.order.meterProvider
    .getMeter('glassbox-e2e')
    .createCounter('glassbox.orders.confirmed')
    .add(3, { 'tenant.id': 'demo' });
}

async function poll<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('observatory console in a browser', () => {
  let obs: Observatory;
  let ports: BoundPorts;
  let base: string;
  let sdk: Record<Service, ServiceSdk>;
  let sent: Sent;
  let big: { traceId: string; spanCount: number };
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  const shot = (name: string) => page.screenshot({ path: join(shotsDir, `${name}.png`), fullPage: false });
  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${base}${path}`);
    if (!res.ok) throw new Error(`${path}: ${res.status}`);
    return (await res.json()) as T;
  };

  beforeAll(async () => {
    mkdirSync(shotsDir, { recursive: true });
    await ensureConsoleBuilt();
    const config: ObservatoryConfig = {
      ...DEFAULT_CONFIG,
      host: '127.0.0.1',
      port: 0,
      otlpHttpPort: 0,
      otlpGrpcPort: 0,
      dbPath: ':memory:',
      webDist: distDir,
      flushIntervalMs: 20,
      logLevel: 'silent',
    };
    obs = await buildObservatory(config, { logger: false });
    ports = await listenObservatory(obs, config);
    base = `http://127.0.0.1:${ports.port}`;

    const otlpBase = `http://127.0.0.1:${ports.otlpHttpPort}`;
    sdk = Object.fromEntries(SERVICES.map((s) => [s, new ServiceSdk(s, otlpBase)])) as Record<
      Service,
      ServiceSdk
    >;
    const now = Date.now();
    sendNoise(sdk, now - 20_000);
    sent = sendCheckout(sdk, now - 5_000);
    big = sendBigTrace(sdk, now - 60_000);
    recordMetrics(sdk);
    await Promise.all(SERVICES.map((s) => sdk[s].flush()));
    await obs.flush();

    const stored = (traceId: string, spans: number) =>
      poll(`trace ${traceId} to be stored`, async () => {
        const res = await fetch(`${base}/api/traces/${traceId}`);
        if (!res.ok) return undefined;
        const body = (await res.json()) as { spans: unknown[] };
        return body.spans.length === spans ? true : undefined;
      });
    await stored(
      sent.traceId,
      Object.values(sent.spansPerService).reduce((a, b) => a + b, 0),
    );
    await stored(big.traceId, big.spanCount);

    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
    });
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all(SERVICES.map((s) => sdk?.[s]?.shutdown()));
    await obs?.close();
  });

  it('lists every service on the overview with RED numbers and the observatory health', async () => {
    await page.goto(`${base}/`);
    for (const service of SERVICES) {
      await page.locator(`[data-testid=services-table] tr[data-service="${service}"]`).waitFor();
    }
    const gateway = await page.locator('[data-testid=services-table] tr[data-service="gateway"]').innerText();
    expect(gateway).toMatch(/\/(s|min)/); // a request rate
    expect(gateway).toMatch(/ms/); // latencies
    const health = page.locator('[data-testid=self-health]');
    await expect.poll(() => health.innerText()).toMatch(/Accepted\s+\d+ spans/);
    await shot('overview');
  });

  it('finds the trace with the search form', async () => {
    await page.getByRole('link', { name: 'Traces', exact: true }).click();
    await page.waitForURL(/\/traces/);
    await page.locator('select[name=service]').selectOption('gateway');
    await page.locator('select[name=operation]').selectOption('POST /api/v1/orders');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/service=gateway/);
    const row = page.locator(`[data-testid=trace-results] tr[data-trace-id="${sent.traceId}"]`);
    await row.waitFor();
    expect(await row.innerText()).toContain('POST /api/v1/orders');
    // The failed checkout is found by the errors-only filter, the good one is not.
    await page.locator('label.check input[type=checkbox]').check();
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/errorsOnly=true/);
    await expect.poll(() => page.locator('[data-testid=trace-results] tbody tr').count()).toBe(1);
    expect(await page.locator('[data-testid=trace-results]').innerText()).toContain('err');
    await page.goBack();
    await row.waitFor();
    await shot('trace-search');
    // Opening it from the results passes the trace's time along, and the page asks the API for
    // that window only (the store then skips the rest of the table).
    const lookup = page.waitForRequest((r) => r.url().includes(`/api/traces/${sent.traceId}`));
    await row.click();
    await page.waitForURL(new RegExp(`/traces/${sent.traceId}\\?(.*&)?at=\\d+`));
    const at = Number(new URL(page.url()).searchParams.get('at'));
    expect(Math.abs(at - sent.startMs)).toBeLessThan(1000);
    const asked = new URL((await lookup).url()).searchParams;
    expect(Number(asked.get('start'))).toBeLessThan(at);
    expect(Number(asked.get('end'))).toBeGreaterThan(at);
  });

  it("shows every service's spans in the waterfall, with the critical path and span details", async () => {
    await page.locator('[data-testid=waterfall]').waitFor();
    for (const service of SERVICES) {
      await expect
        .poll(() => page.locator(`.wf-row[data-service="${service}"]`).count(), { message: service })
        .toBe(sent.spansPerService[service]);
    }
    // Rows are in tree order: the root first, then its descendants, indented.
    const first = page.locator('.wf-row').first();
    expect(await first.getAttribute('data-service')).toBe('gateway');
    expect(await first.getAttribute('aria-level')).toBe('1');
    expect(
      Number(await page.locator(`.wf-row[data-span-id="${sent.paymentSpanId}"]`).getAttribute('aria-level')),
    ).toBe(5);
    // The slow provider call is on the critical path.
    const provider = page.locator('.wf-row', { hasText: 'provider.authorize' });
    expect(await provider.locator('.wf-critical').count()).toBeGreaterThan(0);
    await provider.click();
    const details = page.locator('[data-testid=span-details]');
    await details.waitFor();
    expect(await details.innerText()).toContain('payment.token');
    expect(await details.innerText()).toContain('retry');
    await shot('trace-waterfall');
  });

  it('links the trace to its logs and each log line back to its span', async () => {
    const logsLink = page.locator('[data-testid=trace-logs-link]');
    await expect.poll(() => logsLink.innerText()).toContain(`(${sent.logCount})`);
    await logsLink.click();
    await page.waitForURL(/\/logs\?.*traceId=/);
    const rows = page.locator(`[data-testid=log-results] tr[data-trace-id="${sent.traceId}"]`);
    await expect.poll(() => rows.count()).toBe(sent.logCount);
    expect(await page.locator('[data-testid=log-results]').innerText()).toContain(
      'payment authorized after a slow',
    );
    await shot('trace-logs');
    // Back from the payment log line to its span in the waterfall.
    await page.locator('tr', { hasText: 'payment authorized' }).getByRole('link').click();
    await page.waitForURL(new RegExp(`/traces/${sent.traceId}\\?.*span=${sent.paymentSpanId}`));
    await page.locator(`.wf-row.selected[data-span-id="${sent.paymentSpanId}"]`).waitFor();
    expect(await page.locator('[data-testid=span-details]').innerText()).toContain('payment authorized');
  });

  it('renders only the visible rows of a long trace', async () => {
    await page.goto(`${base}/traces/${big.traceId}`);
    await page.locator('[data-testid=waterfall]').waitFor();
    expect(await page.locator('.trace-meta').innerText()).toContain(`${big.spanCount} spans`);
    const rendered = () => page.locator('.wf-row').count();
    expect(await rendered()).toBeLessThan(80);
    expect(await page.locator('.wf-row', { hasText: 'reconcile sku-29-49' }).count()).toBe(0);
    // Scrolled to the bottom, the last span is there and the first ones are gone.
    await page.locator('.wf-scroll').evaluate((el) => {
      el.scrollTop = el.scrollHeight;
    });
    await page.locator('.wf-row', { hasText: 'reconcile sku-29-49' }).waitFor();
    expect(await page.locator('.wf-row', { hasText: 'stock reconciliation' }).count()).toBe(0);
    expect(await rendered()).toBeLessThan(80);
    await shot('trace-long');
    // Collapsing the root leaves a single row that counts what it hides.
    await page.locator('.wf-scroll').evaluate((el) => {
      el.scrollTop = 0;
    });
    await page.locator('.wf-row').first().getByRole('button', { name: 'Collapse' }).click();
    await expect.poll(rendered).toBe(1);
    expect(await page.locator('.wf-row').first().innerText()).toContain(`+${big.spanCount - 1}`);
  });

  it('carries the time range from page to page', async () => {
    await page.goto(`${base}/`);
    await page.getByRole('button', { name: '15m', exact: true }).click();
    await page.waitForURL(/range=15m/);
    await page
      .locator('[data-testid=services-table] tr[data-service="payment"] a', { hasText: 'payment' })
      .click();
    await page.waitForURL(/\/services\/payment\?range=15m/);
    await page.getByRole('link', { name: 'Logs', exact: true }).first().click();
    await page.waitForURL(/\/logs\?.*range=15m/);
  });

  it('shows a service page with routes and operations, and the service map', async () => {
    await page.goto(`${base}/services/order?range=15m`);
    await page.locator('[data-testid=routes-table]').waitFor();
    expect(await page.locator('[data-testid=routes-table]').innerText()).toContain('/orders');
    expect(await page.locator('[data-testid=operations]').innerText()).toContain('orders publish');
    // Clicking the latency chart opens trace search around that moment (a fixed window in the URL).
    const chart = page.locator('[data-testid=latency-chart] svg rect[fill=transparent]');
    const box = (await chart.boundingBox())!;
    await page.mouse.click(box.x + box.width - 3, box.y + box.height / 2);
    await page.waitForURL(/\/traces\?.*service=order.*from=\d+.*to=\d+/);
    await page.goto(`${base}/map`);
    for (const service of SERVICES) await page.locator(`.service-map [data-service="${service}"]`).waitFor();
    const edges = await page.locator('[data-testid=edges-table]').innerText();
    expect(edges).toMatch(/gateway\s+order/);
    expect(edges).toMatch(/order\s+notification/);
    await shot('service-map');
  });

  it('charts a metric', async () => {
    const metrics = await api<{ metrics: { name: string }[] }>('/api/metrics');
    expect(metrics.metrics.map((m) => m.name)).toContain('http.server.request.duration');
    await page.goto(`${base}/metrics`);
    await page.getByRole('button', { name: /http\.server\.request\.duration/ }).click();
    await page.waitForURL(/name=http\.server\.request\.duration/);
    const legend = page.locator('.legend-table tbody tr').first();
    await legend.waitFor();
    // p95 of 5 samples per service spread over 4–120 ms lands in the 100–250 ms bucket.
    expect(await legend.innerText()).toMatch(/\d+(\.\d+)? ms/);
    expect(await page.locator('.chart svg path[stroke], .chart svg circle').count()).toBeGreaterThan(0);
    await shot('metrics');
  });

  it('tails new logs live', async () => {
    await page.goto(`${base}/logs?tail=true&service=payment`);
    await expect
      .poll(() => page.locator('[data-testid=tail-status]').innerText(), { timeout: 15_000 })
      .toMatch(/^Live/);
    const span = sdk.payment.tracer.startSpan('POST /refunds', { kind: SpanKind.SERVER });
    sdk.payment.logger.emit({
      severityNumber: SeverityNumber.ERROR,
      severityText: 'ERROR',
      body: 'refund failed: provider said no',
      context: under(span),
    });
    span.end();
    await sdk.payment.flush();
    await obs.flush();
    const row = page.locator('[data-testid=log-results] tr', { hasText: 'refund failed: provider said no' });
    await row.waitFor();
    expect(await row.getAttribute('data-trace-id')).toBe(span.spanContext().traceId);
    await shot('live-tail');
  });

  it('auto-refreshes: a new service shows up on the overview without a reload', async () => {
    await page.goto(`${base}/?refresh=10s`);
    expect(await page.getByLabel('Auto-refresh').inputValue()).toBe('10s');
    await page.locator('[data-testid=services-table] tr[data-service="gateway"]').waitFor();
    const user = new ServiceSdk('user', `http://127.0.0.1:${ports.otlpHttpPort}`);
    try {
      const span = user.tracer.startSpan('GET /users/me', {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': 'GET',
          'http.route': '/users/me',
          'http.response.status_code': 200,
        },
      });
      span.end();
      await user.flush();
      await obs.flush();
      await page.locator('[data-testid=services-table] tr[data-service="user"]').waitFor({ timeout: 25_000 });
    } finally {
      await user.shutdown();
    }
    // The setting follows the links.
    await page.locator('[data-testid=services-table] tr[data-service="user"] a', { hasText: 'user' }).click();
    await page.waitForURL(/\/services\/user\?.*refresh=10s/);
  });

  it('ran without errors in the page', () => {
    expect(problems).toEqual([]);
  });
});
