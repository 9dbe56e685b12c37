import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { fingerprint, Notifier } from './notifier.js';
import type { ActiveAlert, AlertTransition } from './rule-engine.js';

const labels = { alertname: 'CheckoutSuccessBurn', service: 'order', severity: 'page' };
const annotations = { summary: 's', runbook_url: 'docs/runbooks/checkout-success.md' };
const firing: ActiveAlert = {
  labels,
  annotations,
  state: 'firing',
  activeAt: 1000,
  firedAt: 3000,
  value: 20,
};
const fired: AlertTransition = {
  at: 3000,
  labels,
  annotations,
  from: 'pending',
  to: 'firing',
  activeAt: 1000,
  firedAt: 3000,
  value: 20,
};

describe('Notifier', () => {
  const servers: http.Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  });

  it('fingerprints a label set with FNV-1a 64 (the real Alertmanager agrees: alerting.int.test.ts)', () => {
    expect(fingerprint({})).toBe('cbf29ce484222325'); // the FNV-64 offset basis: nothing hashed
    expect(fingerprint({ a: '1', b: '2' })).toBe(fingerprint({ b: '2', a: '1' }));
    expect(fingerprint({ a: '1', b: '2' })).not.toBe(fingerprint({ a: '12' }));
  });

  it('builds webhook v4 payloads per alertname+service group', () => {
    const n = new Notifier({ webhooks: [], externalUrl: 'http://127.0.0.1:3000' });
    const [p] = n.webhookPayloads([fired], [firing]);
    expect(p).toMatchObject({
      version: '4',
      status: 'firing',
      receiver: 'observatory',
      groupKey: '{}:{alertname="CheckoutSuccessBurn", service="order"}',
      groupLabels: { alertname: 'CheckoutSuccessBurn', service: 'order' },
      commonLabels: labels,
      externalURL: 'http://127.0.0.1:3000',
    });
    expect(p?.alerts).toEqual([
      {
        status: 'firing',
        labels,
        annotations,
        startsAt: new Date(3000).toISOString(),
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'http://127.0.0.1:3000/alerts?alert=CheckoutSuccessBurn',
        fingerprint: fingerprint(labels),
      },
    ]);
    // A pending alert is nobody's business yet.
    expect(n.webhookPayloads([{ ...fired, from: 'inactive', to: 'pending' }], [])).toEqual([]);
  });

  it('retries a failing receiver with backoff and never blocks the caller', async () => {
    let calls = 0;
    const got: unknown[] = [];
    const server = http.createServer((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => {
        text += c.toString();
      });
      req.on('end', () => {
        calls++;
        if (calls < 3) return void res.writeHead(503).end();
        got.push(JSON.parse(text));
        res.writeHead(200).end();
      });
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const n = new Notifier({ webhooks: [url], externalUrl: 'http://x', retryDelayMs: 20 });
    n.notify([fired], [firing], 3000);
    // notify() only queued the delivery: nothing has reached the receiver when it returns.
    expect(calls).toBe(0);
    expect(n.stats().webhooks[0]).toMatchObject({ sent: 0, failed: 0 });
    const deadline = Date.now() + 5000;
    while (n.stats().webhooks[0]?.sent !== 1 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    expect(got).toHaveLength(1);
    expect(n.stats().webhooks[0]).toMatchObject({ sent: 1, retried: 2, failed: 0 });
    await n.close();
  });
});
