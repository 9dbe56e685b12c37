/**
 * Embedded alerting end to end: a real observatory (committed rule files, time scale 120) receives the order
 * service's checkout counter from the OpenTelemetry SDK over OTLP/HTTP; checkouts start failing for a system
 * reason, and the checkout-success page alert goes pending then firing in `GET /api/alerts` and the
 * Prometheus-shaped APIs, a webhook receiver gets the Alertmanager v4 payload, and a real Alertmanager
 * (`prometheus-alertmanager`) gets the alert and notifies its own receiver; when checkouts succeed again the
 * alert resolves everywhere.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningObservatory, startTestObservatory } from '../ingest/testing.js';

const RULES = fileURLToPath(new URL('../../../../deploy/prometheus/rules', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'obs-alerting-'));

interface Received {
  path: string;
  body: unknown;
}

/** An HTTP server that records every POST (the webhook receiver). */
async function receiver(): Promise<{ url: string; got: Received[]; close: () => Promise<void> }> {
  const got: Received[] = [];
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => {
      text += c.toString();
    });
    req.on('end', () => {
      got.push({ path: req.url ?? '', body: JSON.parse(text || 'null') });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    got,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

async function freePort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

type Alert = { name: string; state: string; severity: string; labels: Record<string, string> };
type WebhookBody = {
  version: string;
  status: string;
  groupKey: string;
  groupLabels: Record<string, string>;
  alerts: Array<{
    status: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
    fingerprint: string;
  }>;
};

describe('embedded alerting over real OTLP metrics, with a webhook receiver and a real Alertmanager', () => {
  let obs: RunningObservatory;
  let hooks: Awaited<ReturnType<typeof receiver>>;
  let am: ChildProcess;
  let amUrl: string;
  let meters: MeterProvider;
  let outcome: 'confirmed' | 'system_failure' = 'confirmed';
  let traffic: NodeJS.Timeout;

  beforeAll(async () => {
    hooks = await receiver();
    const [amPort, amCluster] = [await freePort(), await freePort()];
    amUrl = `http://127.0.0.1:${amPort}`;
    const amConfig = join(dir, 'alertmanager.yml');
    writeFileSync(
      amConfig,
      [
        'route:',
        '  receiver: hook',
        '  group_by: [alertname, service]',
        '  group_wait: 0s',
        '  group_interval: 1s',
        '  repeat_interval: 1h',
        'receivers:',
        '  - name: hook',
        '    webhook_configs:',
        `      - url: ${hooks.url}/via-alertmanager`,
        '        send_resolved: true',
        '',
      ].join('\n'),
    );
    am = spawn(
      'prometheus-alertmanager',
      [
        `--config.file=${amConfig}`,
        `--storage.path=${join(dir, 'am')}`,
        `--web.listen-address=127.0.0.1:${amPort}`,
        `--cluster.listen-address=127.0.0.1:${amCluster}`,
      ],
      { stdio: 'ignore' },
    );
    await until('alertmanager', async () =>
      (await fetch(`${amUrl}/api/v2/status`).then(
        (r) => r.ok,
        () => false,
      ))
        ? true
        : undefined,
    );
    obs = await startTestObservatory({
      rulesDir: RULES,
      rulesDirExplicit: true,
      timeScale: 120,
      alertIntervalMs: 1000,
      alertWebhooks: [`${hooks.url}/observatory`],
      alertmanagerUrl: amUrl,
    });
    meters = new MeterProvider({
      resource: resourceFromAttributes({ 'service.name': 'order', 'service.instance.id': 'order-1' }),
      readers: [
        new PeriodicExportingMetricReader({
          exporter: new OTLPMetricExporter({ url: obs.httpUrl('/v1/metrics') }),
          exportIntervalMillis: 250,
        }),
      ],
    });
    const checkouts = meters.getMeter('glassbox.order').createCounter('glassbox.checkouts');
    traffic = setInterval(() => checkouts.add(5, { 'glassbox.checkout.outcome': outcome }), 50);
  }, 60_000);

  afterAll(async () => {
    clearInterval(traffic);
    await meters?.shutdown();
    await obs?.close();
    if (am && am.exitCode === null) {
      am.kill('SIGTERM');
      await new Promise((r) => am.once('exit', r));
    }
    await hooks?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const api = async <T>(path: string): Promise<T> =>
    (await (await fetch(`http://127.0.0.1:${obs.ports.port}${path}`)).json()) as T;
  const pageAlert = async () =>
    (await api<{ alerts: Alert[] }>('/api/alerts')).alerts.find(
      (a) => a.name === 'CheckoutSuccessBurn' && a.severity === 'page',
    );

  it('loads the committed rules and evaluates them on the scaled interval', async () => {
    const body = await api<{ evaluation: { rules: number; intervalMs: number; timeScale: number } }>(
      '/api/alerts',
    );
    expect(body.evaluation).toMatchObject({ intervalMs: 1000, timeScale: 120 });
    expect(body.evaluation.rules).toBeGreaterThanOrEqual(217);
    // Healthy checkouts: the checkout-success SLI is measured and nothing burns.
    const slo = await until('the checkout-success SLI', async () => {
      const { slos } = await api<{
        slos: Array<{ id: string; sli: Record<string, number | null>; alerts: Array<{ state: string }> }>;
      }>('/api/slos');
      const s = slos.find((x) => x.id === 'checkout-checkout-success');
      return s?.sli['5m'] === 1 ? s : undefined;
    });
    expect(slo.alerts.map((a) => a.state)).toEqual(['inactive', 'inactive']);
    expect(await pageAlert()).toBeUndefined();
  }, 60_000);

  it('fires the page alert when checkouts fail for a system reason: pending, then firing', async () => {
    outcome = 'system_failure';
    const states = new Set<string>();
    const firing = await until('the page alert firing', async () => {
      const a = await pageAlert();
      if (a) states.add(a.state);
      return a?.state === 'firing' ? a : undefined;
    });
    expect(states.has('pending')).toBe(true);
    expect(firing.labels).toMatchObject({
      service: 'order',
      severity: 'page',
      sloth_id: 'checkout-checkout-success',
    });

    const prom = await api<{
      status: string;
      data: { alerts: Array<{ labels: Record<string, string>; state: string; value: string }> };
    }>('/prometheus/api/v1/alerts');
    expect(prom.status).toBe('success');
    const promAlert = prom.data.alerts.find(
      (a) => a.labels.alertname === 'CheckoutSuccessBurn' && a.labels.severity === 'page',
    );
    expect(promAlert?.state).toBe('firing');
    expect(promAlert?.value).toMatch(/^\d(\.\d+)?e[+-]\d\d$/);
    const rules = await api<{
      data: {
        groups: Array<{
          name: string;
          rules: Array<{ type: string; name: string; state?: string; health: string }>;
        }>;
      };
    }>('/prometheus/api/v1/rules?type=alert');
    const group = rules.data.groups.find((g) => g.name === 'sloth-slo-alerts-checkout-checkout-success');
    expect(group?.rules.every((r) => r.type === 'alerting' && r.health === 'ok')).toBe(true);
    expect(group?.rules[0]?.state).toBe('firing');

    const { slos } = await api<{
      slos: Array<{ id: string; burnRate: Record<string, number | null>; history: unknown[] }>;
    }>('/api/slos?window=5m');
    const success = slos.find((s) => s.id === 'checkout-checkout-success');
    expect(success?.burnRate['5m']).toBeGreaterThan(14.4);
    expect(success?.history.length).toBeGreaterThan(0);

    const hook = await until('the webhook notification', async () =>
      hooks.got.find(
        (r) =>
          r.path === '/observatory' &&
          (r.body as WebhookBody).status === 'firing' &&
          (r.body as WebhookBody).groupLabels.alertname === 'CheckoutSuccessBurn',
      ),
    );
    const body = hook.body as WebhookBody;
    expect(body.version).toBe('4');
    expect(body.groupLabels).toEqual({ alertname: 'CheckoutSuccessBurn', service: 'order' });
    expect(body.alerts[0]?.annotations.runbook_url).toBe('docs/runbooks/checkout-success.md');

    const inAm = await until('the alert in Alertmanager', async () => {
      const list = (await (await fetch(`${amUrl}/api/v2/alerts`)).json()) as Array<{
        labels: Record<string, string>;
        fingerprint: string;
        status: { state: string };
      }>;
      return list.find((a) => a.labels.alertname === 'CheckoutSuccessBurn' && a.labels.severity === 'page');
    });
    expect(inAm.status.state).toBe('active');
    // The webhook payload's fingerprint is the one Alertmanager computes for the same labels.
    expect(body.alerts.find((a) => a.labels.severity === 'page')?.fingerprint).toBe(inAm.fingerprint);
    await until('Alertmanager notifying its receiver', async () =>
      hooks.got.find(
        (r) =>
          r.path === '/via-alertmanager' &&
          (r.body as WebhookBody).alerts.some((a) => a.labels.alertname === 'CheckoutSuccessBurn'),
      ),
    );
  }, 90_000);

  it('resolves when checkouts succeed again', async () => {
    outcome = 'confirmed';
    await until('the page alert gone', async () => ((await pageAlert()) ? undefined : true), 90_000);
    const { history } = await api<{ history: Array<{ name: string; severity: string; to: string }> }>(
      '/api/alerts',
    );
    expect(history.find((h) => h.name === 'CheckoutSuccessBurn' && h.severity === 'page')?.to).toBe(
      'resolved',
    );
    // The group (alertname + service) also holds the ticket alert, which may still fire: the page alert is
    // sent as resolved within it.
    const pageResolved = (path: string) => async () =>
      hooks.got.find(
        (r) =>
          r.path === path &&
          (r.body as WebhookBody).alerts.some(
            (a) =>
              a.status === 'resolved' &&
              a.labels.alertname === 'CheckoutSuccessBurn' &&
              a.labels.severity === 'page',
          ),
      );
    await until('the resolved webhook', pageResolved('/observatory'));
    await until('Alertmanager sending the resolution', pageResolved('/via-alertmanager'), 60_000);
  }, 150_000);

  it('answers bad parameters with problem+json and unknown Prometheus paths with 404', async () => {
    for (const path of [
      '/api/slos?window=7m',
      '/api/slos?start=2000&end=1000',
      '/prometheus/api/v1/rules?type=x',
    ]) {
      const res = await fetch(`http://127.0.0.1:${obs.ports.port}${path}`);
      expect(res.status, path).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    }
    const miss = await fetch(`http://127.0.0.1:${obs.ports.port}/prometheus/api/v1/query`);
    expect(miss.status).toBe(404);
    expect(miss.headers.get('content-type')).toMatch(/problem\+json/);
  });
});
