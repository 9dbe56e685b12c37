/**
 * Connected mode, with the real tool: Debian's Alertmanager, configured with the committed
 * deploy/alertmanager/alertmanager.yml (its webhook URLs pointed at this test's healer), gets an alert on its API
 * and notifies the healer through the page route; the healer accepts the webhook v4 payload as Alertmanager
 * writes it, matches the runbook and records its decision (dry-run: nothing is acted on).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createDb, createLogger, type Db, migrate } from '@glassbox/kit';
import { createTestDatabase, type TestDatabase } from '@glassbox/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts } from '../../../cli/src/ports.js';
import { type Monitoring, startMonitoring } from '../../../cli/src/prometheus.js';
import { REPO_ROOT } from '../../../cli/src/stack.js';
import { supervisorPlatform } from '../src/adapters/supervisor-platform.js';
import { buildApp, type HealerApp } from '../src/app.js';
import { parseRunbook } from '../src/domain/runbook.js';

let database: TestDatabase;
let db: Db;
let healer: HealerApp;
let monitoring: Monitoring;
let stateDir: string;

beforeAll(async () => {
  database = await createTestDatabase('gbhealam');
  db = createDb(database.url);
  await migrate(db, new URL('../migrations/', import.meta.url), createLogger('healer', 'silent'));
  healer = await buildApp({
    db,
    logger: createLogger('healer', 'silent'),
    config: {
      INTERNAL_TOKEN: 'healer-test-internal-token-0123',
      OBSERVATORY_URL: 'http://127.0.0.1:9',
      GATEWAY_OPS_URL: 'http://127.0.0.1:9',
      PROMETHEUS_URL: undefined,
      HEALER_DRY_RUN: true,
      HEALER_APPROVAL: 'none',
      HEALER_COOLDOWN_S: 300,
      HEALER_MAX_ACTIONS_PER_HOUR: 10,
      HEALER_VERIFY_POLL_MS: 100,
    },
    runbooks: [
      parseRunbook(
        'runbooks/probe.yaml',
        `
name: probe
description: a probe
match: ['alertname="HealerProbe"']
actions:
  - action: restart-service
    verify: { alertResolved: true, within: 5s }
`,
      ),
    ],
    platform: supervisorPlatform('http://127.0.0.1:9'),
  });
  const healerUrl = await healer.app.listen({ port: 0, host: '127.0.0.1' });
  stateDir = mkdtempSync(path.join(tmpdir(), 'gb-healer-am-'));
  const config = path.join(stateDir, 'alertmanager.yml');
  writeFileSync(
    config,
    readFileSync(path.join(REPO_ROOT, 'deploy', 'alertmanager', 'alertmanager.yml'), 'utf8').replaceAll(
      'http://127.0.0.1:8089',
      healerUrl,
    ),
  );
  const [port] = await freePorts(1);
  monitoring = await startMonitoring({
    prometheus: false,
    alertmanager: true,
    rootDir: REPO_ROOT,
    stateDir,
    timeScale: 1,
    targets: [],
    prometheusPort: 0,
    alertmanagerPort: port ?? 0,
    alertmanagerConfig: config,
  });
}, 60_000);

afterAll(async () => {
  await monitoring?.stop();
  await healer?.app.close();
  await db?.close();
  await database?.drop();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

describe('Alertmanager → healer', () => {
  it('delivers a page alert as webhook v4; the healer takes it and records its decision', async () => {
    const res = await fetch(`${monitoring.alertmanagerUrl}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        {
          labels: { alertname: 'HealerProbe', severity: 'page', service: 'catalog' },
          annotations: { summary: 'probe' },
          startsAt: new Date().toISOString(),
        },
      ]),
    });
    expect(res.status).toBe(200);
    const deadline = Date.now() + 30_000;
    let rows: Array<Record<string, unknown>> = [];
    while (Date.now() < deadline && rows.length === 0) {
      const list = await healer.app.inject({ method: 'GET', url: '/api/remediations' });
      rows = (list.json() as { remediations: Array<Record<string, unknown>> }).remediations;
      if (rows.length === 0) await new Promise((r) => setTimeout(r, 200));
    }
    expect(rows).toMatchObject([
      {
        alertname: 'HealerProbe',
        runbook: 'probe',
        action: 'restart-service',
        target: 'catalog',
        decision: 'dry-run',
        status: 'skipped',
      },
    ]);
  }, 60_000);
});
