/**
 * The committed rule files are what slo/ compiles to, and every alert in them explains itself: the guards of
 * issue 8's "a test fails when the committed rules are stale" and "every alert has severity, service,
 * summary, description and a runbook_url that exists".
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { generateRuleFiles, loadSlos, RULES_DIR } from './rule-files.js';
import { isAlertingRule, REQUIRED_ALERT_ANNOTATIONS, REQUIRED_ALERT_LABELS, type RuleFile } from './rules.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const generated = generateRuleFiles(loadSlos(ROOT), 1);

describe('deploy/prometheus/rules', () => {
  it.each(generated.map((f) => [f.name, f]))('%s is up to date with its sources', (name, file) => {
    const committed = readFileSync(path.join(ROOT, RULES_DIR, name), 'utf8');
    expect(committed, `stale: run \`npm run glassbox -- slo build\``).toBe(file.text);
  });

  const committed = generated.map(
    (f) => parse(readFileSync(path.join(ROOT, RULES_DIR, f.name), 'utf8')) as RuleFile,
  );
  const rules = committed.flatMap((f) => f.groups.flatMap((g) => g.rules));
  const alerts = rules.filter(isAlertingRule);

  it('holds at least 40 rules', () => {
    expect(rules.length).toBeGreaterThanOrEqual(40);
  });

  it('gives every alert severity, service, summary, description and an existing runbook', () => {
    expect(alerts.length).toBeGreaterThan(20);
    for (const a of alerts) {
      for (const label of REQUIRED_ALERT_LABELS) expect(a.labels[label], `${a.alert} ${label}`).toBeTruthy();
      expect(['page', 'ticket']).toContain(a.labels.severity);
      for (const note of REQUIRED_ALERT_ANNOTATIONS)
        expect(a.annotations[note], `${a.alert} ${note}`).toBeTruthy();
      expect(existsSync(path.join(ROOT, a.annotations.runbook_url ?? '')), a.annotations.runbook_url).toBe(
        true,
      );
    }
  });

  it('has the classic alerts the issue lists', () => {
    const names = new Set(alerts.map((a) => a.alert));
    for (const name of [
      'TargetDown',
      'CrashLooping',
      'HighErrorRatio',
      'HighLatencyP99',
      'EventLoopLagHigh',
      'ProcessMemoryGrowing',
      'DbPoolSaturated',
      'SagaBacklogStale',
      'OutboxBacklogStale',
      'OtlpItemsDropped',
      'ObservatoryStoreNearLimit',
      'JwksFetchFailing',
      'ReconciliationMismatches',
      // The alerts for the faults the others did not see (issue 9: every fault detected).
      'EventLoopSaturated',
      'UpstreamCallsSlow',
      'UpstreamCallsFailing',
      'DbConnectionsFailing',
      'OutboxRelayStalled',
    ]) {
      expect(names, name).toContain(name);
    }
  });

  it('has a page and a ticket burn alert for every SLO', () => {
    const specs = loadSlos(ROOT).specs;
    for (const spec of specs) {
      for (const slo of spec.slos) {
        const severities = alerts.filter((a) => a.alert === slo.alerting.name).map((a) => a.labels.severity);
        expect(severities.sort(), slo.alerting.name).toEqual(['page', 'ticket']);
      }
    }
  });
});
