/**
 * The healer's calls (the supervisor's control API, the gateway's admin endpoints, the alerts it verifies
 * against) go through `fetch`, traced by the undici instrumentation as the kit configures it: each client
 * span is named by the template of the route it calls, never by a path with a service's name in it.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { instrumentationsFor } from '@glassbox/kit/telemetry';
import { captureTelemetry } from '@glassbox/kit/testing';
import { SpanKind } from '@opentelemetry/api';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { alertSource } from './alert-source.js';
import { gatewayLevers } from './gateway-levers.js';
import { supervisorPlatform } from './supervisor-platform.js';

const telemetry = captureTelemetry();
const instrumentations = instrumentationsFor({ instrumentations: new Set(['undici']), exportLogs: false });
/** Answers as the supervisor, the gateway's admin listener and the observatory would. */
const server = http.createServer((req, res) => {
  const json = (body: unknown) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  const path = (req.url ?? '').split('?')[0];
  if (path === '/services/inventory') return json({ service: { state: 'ready', restarts: 1 } });
  if (path === '/services/inventory/restart') return json({ service: { state: 'ready' } });
  if (path === '/services/inventory/rollback')
    return json({ service: { state: 'ready' }, rolledBack: [{ id: 'f-1', kind: 'crash-loop' }] });
  if (path === '/prometheus/api/v1/alerts') return json({ data: { alerts: [] } });
  if (path?.startsWith('/admin/')) return json({});
  return res.writeHead(404).end();
});
let base: string;

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const i of instrumentations) i.disable();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await telemetry.shutdown();
});

it("names every call's client span by the route template it calls", async () => {
  await supervisorPlatform(base).restartService('inventory');
  await supervisorPlatform(base).rollbackRelease('inventory');
  await gatewayLevers(base).openCircuit('catalog', 30);
  await gatewayLevers(base).shedLoad(0.5, 30);
  await alertSource({ observatoryUrl: base }).isActive({ alertname: 'TargetDown' });
  const names = telemetry
    .spans()
    .filter((s) => s.kind === SpanKind.CLIENT)
    .map((s) => s.name);
  expect(names).toEqual([
    'GET /services/:name',
    'POST /services/:name/restart',
    'POST /services/:name/rollback',
    'POST /admin/circuits/:upstream/open',
    'POST /admin/shed',
    'GET /prometheus/api/v1/alerts',
  ]);
});
