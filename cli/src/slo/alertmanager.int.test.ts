/**
 * deploy/alertmanager/alertmanager.yml judged by Alertmanager's own tools: `amtool check-config`, every route
 * (and every alert of the rule files) resolved with `amtool config routes test`, and the inhibition seen in a
 * real Alertmanager: a TargetDown silences the error and latency alerts of its service, not another's.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { freePorts } from '../ports.js';
import { CLASSIC_RULES_FILE, RULES_DIR, SLO_RULES_FILE } from './rule-files.js';
import { isAlertingRule, type RuleFile } from './rules.js';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const CONFIG = path.join(ROOT, 'deploy', 'alertmanager', 'alertmanager.yml');

async function route(
  labels: Record<string, string>,
  expect?: string,
): Promise<{ code: number; out: string }> {
  const args = ['config', 'routes', 'test', `--config.file=${CONFIG}`];
  if (expect) args.push(`--verify.receivers=${expect}`);
  args.push(...Object.entries(labels).map(([k, v]) => `${k}=${v}`));
  try {
    const { stdout } = await run('amtool', args);
    return { code: 0, out: stdout.trim() };
  } catch (err) {
    const e = err as { code?: number; stdout?: string };
    return { code: e.code ?? 1, out: (e.stdout ?? '').trim() };
  }
}

describe('alertmanager.yml', () => {
  it('passes amtool check-config, and so does the compose stack’s copy (webhooks to the healer container)', async () => {
    const { stdout } = await run('amtool', ['check-config', CONFIG]);
    expect(stdout).toContain('SUCCESS');
    const compose = await run('amtool', [
      'check-config',
      path.join(ROOT, 'deploy', 'compose', 'alertmanager.yml'),
    ]);
    expect(compose.stdout).toContain('SUCCESS');
  });

  it.each([
    [{ severity: 'page', alertname: 'CheckoutSuccessBurn', service: 'order' }, 'page'],
    [{ severity: 'ticket', alertname: 'CheckoutSuccessBurn', service: 'order' }, 'ticket'],
    [{ alertname: 'Unlabelled' }, 'default'],
  ])('routes %o to %s', async (labels, receiver) => {
    expect(await route(labels, receiver)).toEqual({ code: 0, out: receiver });
    const wrong = receiver === 'page' ? 'ticket' : 'page';
    expect((await route(labels, wrong)).code).not.toBe(0);
  });

  it('routes every alert of the rule files by its severity', async () => {
    const alerts = [SLO_RULES_FILE, CLASSIC_RULES_FILE].flatMap((f) =>
      (parse(readFileSync(path.join(ROOT, RULES_DIR, f), 'utf8')) as RuleFile).groups.flatMap((g) =>
        g.rules.filter(isAlertingRule),
      ),
    );
    const seen = new Set<string>();
    for (const a of alerts) {
      const key = `${a.alert}/${a.labels.severity}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const r = await route({ alertname: a.alert, severity: a.labels.severity ?? '', service: 'order' });
      expect(r.out, key).toBe(a.labels.severity);
    }
  }, 120_000);

  describe('in a real Alertmanager', () => {
    let am: ChildProcess | undefined;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'glassbox-am-'));
    afterAll(async () => {
      if (am && am.exitCode === null) {
        am.kill('SIGTERM');
        await new Promise((resolve) => am?.once('exit', resolve));
      }
      rmSync(dir, { recursive: true, force: true });
    });

    it('inhibits the error and latency alerts of a service whose target is down', async () => {
      const [port, cluster] = await freePorts(2);
      am = spawn(
        'prometheus-alertmanager',
        [
          `--config.file=${CONFIG}`,
          `--storage.path=${dir}`,
          `--web.listen-address=127.0.0.1:${port}`,
          `--cluster.listen-address=127.0.0.1:${cluster}`,
        ],
        { stdio: 'ignore' },
      );
      const base = `http://127.0.0.1:${port}/api/v2`;
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline) {
        if (
          await fetch(`${base}/status`).then(
            (r) => r.ok,
            () => false,
          )
        )
          break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const alert = (alertname: string, service: string, severity: string) => ({
        labels: { alertname, service, severity },
        annotations: { summary: alertname },
      });
      const posted = await fetch(`${base}/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify([
          alert('TargetDown', 'inventory', 'page'),
          alert('HighErrorRatio', 'inventory', 'page'),
          alert('CheckoutSuccessBurn', 'inventory', 'page'),
          alert('HighErrorRatio', 'order', 'page'),
          alert('SagaBacklogStale', 'inventory', 'page'),
        ]),
      });
      expect(posted.status).toBe(200);
      type Am = { labels: Record<string, string>; status: { state: string; inhibitedBy: string[] } };
      let got: Am[] = [];
      const until = Date.now() + 20_000;
      while (Date.now() < until) {
        got = (await (await fetch(`${base}/alerts`)).json()) as Am[];
        if (got.length === 5 && got.some((a) => a.status.state === 'suppressed')) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const state = (name: string, service: string) =>
        got.find((a) => a.labels.alertname === name && a.labels.service === service)?.status.state;
      expect(state('HighErrorRatio', 'inventory')).toBe('suppressed');
      expect(state('CheckoutSuccessBurn', 'inventory')).toBe('suppressed');
      expect(state('TargetDown', 'inventory')).toBe('active');
      expect(state('HighErrorRatio', 'order')).toBe('active');
      expect(state('SagaBacklogStale', 'inventory')).toBe('active');
    });
  });
});
