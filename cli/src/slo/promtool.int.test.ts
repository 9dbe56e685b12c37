/**
 * The committed rules, judged by Prometheus's own tool: `promtool check rules` on every rule file, and
 * `promtool test rules` with a burn (or symptom) just above, just below and stopping for every alert, plus SLI
 * recordings computed from raw counters. A rule changed by hand (a threshold, a window) fails these.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { alertScenarios, RECORDING_CHECKS } from './alert-scenarios.js';
import { promtoolTestFiles } from './promtool-tests.js';
import { CLASSIC_RULES_FILE, RULES_DIR, SLO_RULES_FILE } from './rule-files.js';
import { isAlertingRule, type RuleFile } from './rules.js';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const RULE_PATHS = [SLO_RULES_FILE, CLASSIC_RULES_FILE].map((f) => path.join(ROOT, RULES_DIR, f));
const work = mkdtempSync(path.join(os.tmpdir(), 'glassbox-promtool-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function load(): RuleFile[] {
  return RULE_PATHS.map((p) => parse(readFileSync(p, 'utf8')) as RuleFile);
}

/**
 * Writes test files built from the committed rules, evaluated against `ruleFiles` (the committed ones, or a
 * tampered copy), into a fresh folder and runs promtool on them, two at a time.
 */
async function promtoolTest(ruleFiles: RuleFile[], only?: (group: string) => boolean) {
  const dir = mkdtempSync(path.join(work, 'run-'));
  const scenarios = alertScenarios(load()).filter((s) => !only || only(s.group));
  const recordings = RECORDING_CHECKS.filter((r) => !only || only(r.group));
  const { files, tests } = promtoolTestFiles(ruleFiles, scenarios, recordings);
  for (const [name, text] of files) writeFileSync(path.join(dir, name), text);
  const failures: string[] = [];
  const queue = [...tests];
  const worker = async () => {
    for (let t = queue.shift(); t !== undefined; t = queue.shift()) {
      try {
        await run('promtool', ['test', 'rules', t], { cwd: dir, maxBuffer: 1 << 24 });
      } catch (err) {
        const e = err as { stdout?: string; stderr?: string };
        failures.push(`${t}:\n${e.stdout ?? ''}${e.stderr ?? String(err)}`);
      }
    }
  };
  await Promise.all([worker(), worker()]);
  return { failures, scenarios: scenarios.length, recordings: recordings.length, tests: tests.length };
}

describe('promtool', () => {
  it('check rules accepts every rule file', async () => {
    const { stdout } = await run('promtool', ['check', 'rules', ...RULE_PATHS]);
    expect(stdout.match(/SUCCESS/g)).toHaveLength(RULE_PATHS.length);
  });

  it('test rules: every alert fires just above its threshold, stays silent just below and resolves', async () => {
    const files = load();
    const alerts = new Set(
      files.flatMap((f) => f.groups.flatMap((g) => g.rules.filter(isAlertingRule).map((r) => r.alert))),
    );
    const result = await promtoolTest(files);
    expect(result.failures, result.failures.join('\n\n')).toEqual([]);
    const tested = new Set(alertScenarios(files).map((s) => s.alert));
    expect([...alerts].filter((a) => !tested.has(a))).toEqual([]);
    expect(result.recordings).toBe(RECORDING_CHECKS.length);
  }, 600_000);

  it('test rules fails on a threshold or a window changed by hand', async () => {
    const group = 'sloth-slo-alerts-checkout-checkout-success';
    const only = (g: string) => g === group;
    expect((await promtoolTest(load(), only)).failures).toEqual([]);
    const tamper = (from: string, to: string) =>
      JSON.parse(JSON.stringify(load()).replaceAll(from, to)) as RuleFile[];
    const threshold = await promtoolTest(tamper('(14.4 * 0.005)', '(15 * 0.005)'), only);
    expect(threshold.failures.join('\n')).toMatch(/14\.4x over 1h\/5m: fires just above/);
    const window = await promtoolTest(
      tamper(
        'ratio_rate6h{sloth_id=\\"checkout-checkout-success\\"} > (6',
        'ratio_rate3d{sloth_id=\\"checkout-checkout-success\\"} > (6',
      ),
      only,
    );
    expect(window.failures.join('\n')).toMatch(/6x over 6h\/30m: fires just above/);
  }, 120_000);
});
