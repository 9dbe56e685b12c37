/**
 * The auto-heal loop on a real stack (issue 9 §4): the observatory, the healer and a few services as their own
 * processes under the supervisor, at `GLASSBOX_SLO_TIME_SCALE=60`. Stopping the catalog service through the
 * control API (the supervisor never starts a stopped process by itself) makes TargetDown fire in the
 * observatory; the observatory notifies the healer (webhook v4, wired by the stack from the manifest); the
 * healer runs runbooks/target-down.yaml and starts catalog through the control API; the alert resolves; the
 * audit log holds the step with its verification and duration. The times of each step are printed. Headless
 * Chromium then sees the step on the console's Remediations page (saved as docs/console-remediations.png).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testServerUrl } from '@glassbox/kit/testing';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, startStack } from '../../cli/src/stack.js';
import { dropDatabasesWithPrefix } from '../support/databases.js';

const dbPrefix = `gbheal_${randomBytes(3).toString('hex')}_`;
const TARGET = 'catalog';

let stack: Awaited<ReturnType<typeof startStack>>;
let stateDir: string;

interface Transition {
  atMs: number;
  name: string;
  service: string;
  to: string;
}
interface Remediation {
  action: string;
  target: string;
  alertname: string;
  decision: string;
  status: string;
  verification: string | null;
  detail: string | null;
  durationMs: number | null;
  startedAt: string | null;
  finishedAt: string | null;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) {
      const seen = await fetch(`${stack.urls.observatory}/api/alerts`)
        .then((r) => r.text())
        .catch((e: Error) => e.message);
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}; the observatory said ${seen.slice(0, 2000)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

const targetDownTransitions = async (): Promise<Transition[]> => {
  const body = (await (await fetch(`${stack.urls.observatory}/api/alerts`)).json()) as {
    history: Transition[];
  };
  return body.history.filter((t) => t.name === 'TargetDown' && t.service === TARGET);
};
const remediations = async (): Promise<Remediation[]> => {
  const body = (await (await fetch(`${stack.urls.healer}/api/remediations`)).json()) as {
    remediations: Remediation[];
  };
  return body.remediations;
};

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'glassbox-heal-'));
  stack = await startStack({
    services: ['auth', TARGET, 'healer'],
    observatory: true,
    logs: process.env.E2E_LOGS ? 'inherit' : 'silent',
    ports: 'auto',
    databaseUrl: testServerUrl(),
    dbPrefix,
    stateDir,
    env: { GLASSBOX_SLO_TIME_SCALE: '60', LOG_LEVEL: 'warn' },
  });
}, 300_000);

afterAll(async () => {
  await stack?.stop();
  await rm(stateDir, { recursive: true, force: true });
  await dropDatabasesWithPrefix(testServerUrl(), dbPrefix);
}, 120_000);

describe('auto-heal on a real stack at time scale 60', () => {
  it('a stopped service: TargetDown fires, the healer starts it, the alert resolves, the audit log says so', async () => {
    expect(await remediations()).toEqual([]);
    const stop = await fetch(`${stack.urls.control}/services/${TARGET}/stop`, { method: 'POST' });
    expect(stop.status).toBe(200);
    const stoppedAt = Date.now();

    const fired = await until(
      'TargetDown firing in the observatory',
      async () => (await targetDownTransitions()).find((t) => t.to === 'firing'),
      60_000,
    );
    const healed = await until(
      'the healer’s verified restart',
      async () => (await remediations()).find((r) => r.status === 'succeeded'),
      120_000,
    );
    const resolved = await until(
      'TargetDown resolved',
      async () => (await targetDownTransitions()).find((t) => t.to === 'resolved'),
      60_000,
    );

    expect(stack.control.get(TARGET)?.info().state).toBe('ready');
    expect(healed).toMatchObject({
      alertname: 'TargetDown',
      action: 'restart-service',
      target: TARGET,
      decision: 'execute',
      verification: 'resolved',
    });
    expect(healed.detail).toContain(`started ${TARGET} (it was stopped)`);
    expect(healed.durationMs).toBeGreaterThan(0);
    const actedAt = Date.parse(healed.startedAt ?? '');
    expect(actedAt).toBeGreaterThanOrEqual(fired.atMs - 1000);
    expect(resolved.atMs).toBeGreaterThanOrEqual(fired.atMs);
    // The console's Remediations page reads the same audit log through the observatory.
    const viaObservatory = (await (await fetch(`${stack.urls.observatory}/api/remediations`)).json()) as {
      remediations: Remediation[];
      runbooks: Array<{ name: string }>;
    };
    expect(viaObservatory.remediations).toEqual(await remediations());
    expect(viaObservatory.runbooks.map((r) => r.name)).toContain('target-down');
    process.stdout.write(
      `[auto-heal] ${TARGET} stopped → TargetDown firing ${fired.atMs - stoppedAt} ms → healer acted ` +
        `${actedAt - stoppedAt} ms → resolved ${resolved.atMs - stoppedAt} ms (restart + verification ` +
        `${healed.durationMs} ms)\n`,
    );
  }, 240_000);

  it('the console’s Remediations page shows the step, healed', async () => {
    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1360, height: 800 } });
      page.setDefaultTimeout(30_000);
      await page.goto(`${stack.urls.observatory}/remediations`);
      const row = page.locator('[data-testid="remediation-row"][data-action="restart-service"]').first();
      await row.waitFor();
      expect(await row.getAttribute('data-status')).toBe('succeeded');
      expect(await row.innerText()).toContain(TARGET);
      expect(await page.locator('[data-testid="runbooks"]').innerText()).toContain('target-down');
      const shots = join(REPO_ROOT, 'test-results', 'auto-heal');
      mkdirSync(shots, { recursive: true });
      await page.screenshot({ path: join(shots, 'console-remediations.png'), fullPage: true });
      if (process.env.UPDATE_DOCS_SCREENSHOTS === '1') {
        await page.screenshot({ path: join(REPO_ROOT, 'docs', 'console-remediations.png'), fullPage: true });
      }
    } finally {
      await browser.close();
    }
  }, 120_000);
});
