/**
 * Renders alert scenarios and recording checks as `promtool test rules` files: one test file per rule group,
 * next to a rule file holding that group alone, copied from the committed rule file (promtool evaluates every
 * rule of its rule files at every step: testing each group on its own keeps the run short).
 */
import { stringify } from 'yaml';
import type { AlertScenario, RecordingCheck } from './alert-scenarios.js';
import type { RuleFile, RuleGroup } from './rules.js';

export interface PromtoolTestFiles {
  /** File name → content, rule files and test files alike. */
  readonly files: ReadonlyMap<string, string>;
  /** The test files to hand to `promtool test rules`. */
  readonly tests: readonly string[];
}

function labelText(labels: Readonly<Record<string, string>>): string {
  return `{${Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(', ')}}`;
}

function alertTest(s: AlertScenario) {
  return {
    name: s.name,
    interval: '1m',
    input_series: s.series.map((x) => ({ series: x.series, values: x.values })),
    alert_rule_test: s.checks.map((c) => ({
      eval_time: `${c.at}m`,
      alertname: s.alert,
      exp_alerts: c.firing ? [{ exp_labels: s.labels, exp_annotations: s.annotations }] : [],
    })),
  };
}

function recordingTest(r: RecordingCheck) {
  // Compared within 1e-9: the ratio of two rates carries float noise.
  const { sloth_window: _w, ...labels } = r.labels;
  return {
    name: r.name,
    interval: '1m',
    input_series: r.series.map((x) => ({ series: x.series, values: x.values })),
    promql_expr_test: [
      {
        expr: `abs(${r.expr} - ${r.value}) < bool 1e-9`,
        eval_time: `${r.at}m`,
        exp_samples: [
          { labels: labelText({ ...labels, sloth_window: r.labels.sloth_window ?? '' }), value: 1 },
        ],
      },
    ],
  };
}

export function promtoolTestFiles(
  ruleFiles: readonly RuleFile[],
  scenarios: readonly AlertScenario[],
  recordings: readonly RecordingCheck[],
): PromtoolTestFiles {
  const groups = new Map<string, RuleGroup>();
  for (const f of ruleFiles) for (const g of f.groups) groups.set(g.name, g);
  const files = new Map<string, string>();
  const tests: string[] = [];
  const byGroup = new Map<string, object[]>();
  for (const s of scenarios) byGroup.set(s.group, [...(byGroup.get(s.group) ?? []), alertTest(s)]);
  for (const r of recordings) byGroup.set(r.group, [...(byGroup.get(r.group) ?? []), recordingTest(r)]);
  for (const [name, cases] of byGroup) {
    const group = groups.get(name);
    if (!group) throw new Error(`no rule group ${name}`);
    const rules = `${name}.rules.yaml`;
    const test = `${name}.test.yaml`;
    files.set(rules, stringify({ groups: [group] }, { lineWidth: 0 }));
    files.set(
      test,
      stringify({ rule_files: [rules], evaluation_interval: '1m', tests: cases }, { lineWidth: 0 }),
    );
    tests.push(test);
  }
  return { files, tests };
}
