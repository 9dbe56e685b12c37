/**
 * Equivalence, proven: the same synthetic series go to Prometheus's own rule evaluation (`promtool test
 * rules`) and to the embedded evaluator, step by step at the production interval (15 s), for every alerting
 * rule of the committed rule files — each classic alert from its own input series (above its threshold, then
 * below), each SLO burn alert through its SLI recordings (each burn condition on its own), and the checkout
 * success SLO through the whole chain from raw counters (recordings, then alerts) with a ramping error ratio.
 *
 * The embedded evaluator's pending and firing alerts at every step become the expectations of promtool's
 * `ALERTS{alertname=…}` at that step. Both must agree at every step, except one step either side of a change
 * of state (the ±1 step the comparison allows: a transition may land one evaluation earlier or later); that
 * every scenario goes through pending (when the rule has a `for`), firing and back is asserted too.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { CLASSIC_CASES } from '../../../../cli/src/slo/alert-scenarios.js';
import type { Matcher } from './promql/ast.js';
import { type Labels, matches, type Series, type SeriesSource } from './promql/evaluate.js';
import { parseDurationMs } from './promql/parse.js';
import { RuleEngine, type RuleGroupSpec, type RuleSpec } from './rule-engine.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const RULE_FILES = ['slo.rules.yaml', 'glassbox.rules.yaml'].map(
  (f) =>
    parse(readFileSync(path.join(ROOT, 'deploy', 'prometheus', 'rules', f), 'utf8')) as {
      groups: RuleGroupSpec[];
    },
);
const GROUPS = new Map(RULE_FILES.flatMap((f) => f.groups.map((g) => [g.name, g] as const)));
const STEP_MS = 15_000;
const work = mkdtempSync(path.join(os.tmpdir(), 'glassbox-equivalence-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Input {
  readonly labels: Labels;
  /** One value per step. */
  readonly values: readonly number[];
}

interface Scenario {
  readonly name: string;
  /** Rule groups evaluated together (in order). */
  readonly groups: readonly string[];
  readonly alert: string;
  readonly inputs: readonly Input[];
  readonly steps: number;
  /** The scenario must show these states at some step. */
  readonly mustSee: ReadonlyArray<'pending' | 'firing'>;
  /** Whether every alert has resolved by the last step (the chain's ticket alert outlives it). */
  readonly resolves: boolean;
}

const round = (v: number) => Number(v.toPrecision(12));

function parseSeries(text: string): Record<string, string> {
  const m = /^([a-zA-Z_:][\w:]*)\{(.*)\}$/.exec(text);
  const labels: Record<string, string> = { __name__: m?.[1] ?? text };
  for (const pair of (m?.[2] ?? '').matchAll(/([a-zA-Z_]\w*)="([^"]*)"/g))
    labels[pair[1] ?? ''] = pair[2] ?? '';
  return labels;
}

const minutesOf = (d: string) => parseDurationMs(d) / 60_000;
const longestRange = (expr: string) =>
  Math.max(0, ...[...expr.matchAll(/\[(\w+)\]/g)].map((m) => minutesOf(m[1] ?? '0s')));
const alertRules = (group: RuleGroupSpec) =>
  group.rules.filter((r): r is RuleSpec & { alert: string } => !!r.alert);

/** A classic alert: its input series above the threshold, then below. */
function classicScenario(group: RuleGroupSpec, rule: RuleSpec & { alert: string }): Scenario {
  const c = CLASSIC_CASES[rule.alert];
  if (!c) throw new Error(`no case for ${rule.alert}`);
  const forMin = minutesOf(rule.for ?? '0s');
  const phase = ((longestRange(rule.expr) + forMin + 3) * 60_000) / STEP_MS;
  const steps = phase * 2;
  const inputs = c.series.map((s) => {
    // A ramp (a growing gauge: memory) grows as a counter does, from its starting value.
    let total = s.from ?? 0;
    const values = Array.from({ length: steps }, (_, i) => {
      const perMinute = i < phase ? s.above : s.below;
      if (s.kind === 'gauge') return perMinute;
      if (i > 0) total += perMinute / 4;
      return round(total);
    });
    return { labels: parseSeries(s.series), values };
  });
  return {
    name: `${rule.alert} (${rule.labels?.severity})`,
    groups: [group.name],
    alert: rule.alert,
    inputs,
    steps,
    mustSee: forMin > 0 ? ['pending', 'firing'] : ['firing'],
    resolves: true,
  };
}

const WINDOWS = ['5m', '30m', '1h', '2h', '6h', '1d', '3d'];
const BURN =
  /max\(slo:sli_error:ratio_rate(\w+)\{sloth_id="([^"]+)"\} > \(([\d.]+) \* ([\d.e-]+)\)\) without/g;

/** An SLO burn alert through its recordings: one condition's two windows above its threshold, then not. */
function sloScenarios(group: RuleGroupSpec, rule: RuleSpec & { alert: string }): Scenario[] {
  const found = [...rule.expr.matchAll(BURN)];
  const id = found[0]?.[2] ?? '';
  const forSteps = parseDurationMs(rule.for ?? '0s') / STEP_MS;
  const burn = forSteps + 6;
  const steps = burn + 8;
  const out: Scenario[] = [];
  for (let i = 0; i + 1 < found.length; i += 2) {
    const [a, b] = [found[i], found[i + 1]];
    if (!a || !b) continue;
    const above = round(Number(a[3]) * Number(a[4]) * 1.05);
    const burning = new Set([a[1], b[1]]);
    out.push({
      name: `${rule.alert} (${rule.labels?.severity}) ${a[3]}x over ${b[1]}/${a[1]}`,
      groups: [group.name],
      alert: rule.alert,
      inputs: WINDOWS.map((w) => ({
        labels: { __name__: `slo:sli_error:ratio_rate${w}`, sloth_id: id, sloth_window: w },
        values: Array.from({ length: steps }, (_, s) => (burning.has(w) && s >= 2 && s < burn ? above : 0)),
      })),
      steps,
      mustSee: forSteps > 0 ? ['pending', 'firing'] : ['firing'],
      resolves: true,
    });
  }
  return out;
}

/** The checkout success SLO from raw counters: errors ramp up to 20 %, hold, then stop. */
function chainScenario(): Scenario {
  const id = 'checkout-checkout-success';
  const steps = 480; // two hours
  let ok = 0;
  let failed = 0;
  const okValues: number[] = [];
  const failedValues: number[] = [];
  for (let s = 0; s < steps; s++) {
    const minute = (s * STEP_MS) / 60_000;
    const ratio = minute < 10 ? 0 : minute < 30 ? ((minute - 10) / 20) * 0.2 : minute < 50 ? 0.2 : 0;
    if (s > 0) {
      failed += round(40 * ratio);
      ok += round(40 * (1 - ratio));
    }
    okValues.push(round(ok));
    failedValues.push(round(failed));
  }
  const series = (outcome: string) => ({
    __name__: 'glassbox_checkouts_total',
    job: 'order',
    glassbox_checkout_outcome: outcome,
  });
  return {
    name: 'CheckoutSuccessBurn from raw counters (recordings, then alerts)',
    groups: [`sloth-slo-sli-recordings-${id}`, `sloth-slo-meta-recordings-${id}`, `sloth-slo-alerts-${id}`],
    alert: 'CheckoutSuccessBurn',
    inputs: [
      { labels: series('confirmed'), values: okValues },
      { labels: series('system_failure'), values: failedValues },
    ],
    steps,
    mustSee: ['pending', 'firing'],
    resolves: false,
  };
}

function allScenarios(): Scenario[] {
  const out: Scenario[] = [];
  for (const f of RULE_FILES) {
    for (const g of f.groups) {
      for (const rule of alertRules(g)) {
        out.push(
          ...(rule.expr.includes('slo:sli_error') ? sloScenarios(g, rule) : [classicScenario(g, rule)]),
        );
      }
    }
  }
  out.push(chainScenario());
  return out;
}

function sourceOf(inputs: readonly Input[]): SeriesSource {
  const all: Series[] = inputs.map((x) => ({
    labels: x.labels,
    samples: x.values.map((v, i) => ({ t: i * STEP_MS, v })),
  }));
  return {
    select: (ms: readonly Matcher[], from, to) =>
      all
        .filter((x) => matches(x.labels, ms))
        .map((x) => ({ labels: x.labels, samples: x.samples.filter((p) => p.t >= from && p.t <= to) }))
        .filter((x) => x.samples.length > 0),
  };
}

type StepState = string[];

/** The embedded evaluator's ALERTS for the scenario's alert at every step (sorted label texts). */
function embedded(s: Scenario, groups: ReadonlyMap<string, RuleGroupSpec>): StepState[] {
  const engine = new RuleEngine(
    s.groups.map((g) => groups.get(g) as RuleGroupSpec),
    sourceOf(s.inputs),
  );
  const states: StepState[] = [];
  for (let i = 0; i < s.steps; i++) {
    engine.evaluate(i * STEP_MS);
    states.push(
      engine
        .activeAlerts()
        .filter((a) => a.labels.alertname === s.alert)
        .map((a) => alertsText({ ...a.labels, alertstate: a.state }))
        .sort(),
    );
  }
  return states;
}

function alertsText(labels: Labels): string {
  const body = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(', ');
  return `ALERTS{${body}}`;
}

/** Steps asserted: all but the step before and the step of every change of state. */
function assertedSteps(states: readonly StepState[]): number[] {
  const skip = new Set<number>();
  for (let i = 1; i < states.length; i++) {
    if (JSON.stringify(states[i]) !== JSON.stringify(states[i - 1])) {
      skip.add(i - 1);
      skip.add(i);
    }
  }
  return states.map((_, i) => i).filter((i) => !skip.has(i));
}

/** Writes the promtool files for the scenarios (expectations from `expected`) and runs them, two at a time. */
async function promtool(
  scenarios: readonly Scenario[],
  expected: ReadonlyMap<Scenario, StepState[]>,
): Promise<string[]> {
  const dir = mkdtempSync(path.join(work, 'run-'));
  const byGroups = new Map<string, Scenario[]>();
  for (const s of scenarios)
    byGroups.set(s.groups.join('+'), [...(byGroups.get(s.groups.join('+')) ?? []), s]);
  const tests: string[] = [];
  let n = 0;
  for (const [key, list] of byGroups) {
    n++;
    const rules = `g${n}.rules.yaml`;
    const groups = key.split('+').map((g) => GROUPS.get(g));
    writeFileSync(path.join(dir, rules), stringify({ groups }, { lineWidth: 0 }));
    const cases = list.map((s) => {
      const states = expected.get(s) ?? [];
      return {
        name: s.name,
        interval: '15s',
        input_series: s.inputs.map((x) => {
          const { __name__: name, ...rest } = x.labels;
          return {
            series: `${name}{${Object.entries(rest)
              .map(([k, v]) => `${k}="${v}"`)
              .join(',')}}`,
            values: x.values.join(' '),
          };
        }),
        promql_expr_test: assertedSteps(states).map((i) => ({
          expr: `ALERTS{alertname="${s.alert}"}`,
          eval_time: `${(i * STEP_MS) / 1000}s`,
          exp_samples: (states[i] ?? []).map((labels) => ({ labels, value: 1 })),
        })),
      };
    });
    const test = `g${n}.test.yaml`;
    writeFileSync(
      path.join(dir, test),
      stringify({ rule_files: [rules], evaluation_interval: '15s', tests: cases }, { lineWidth: 0 }),
    );
    tests.push(test);
  }
  const failures: string[] = [];
  const queue = [...tests];
  const worker = async () => {
    for (let t = queue.shift(); t !== undefined; t = queue.shift()) {
      try {
        await run('promtool', ['test', 'rules', t], { cwd: dir, maxBuffer: 1 << 26 });
      } catch (err) {
        const e = err as { stdout?: string; stderr?: string };
        failures.push(`${t}:\n${(e.stdout ?? '').slice(0, 4000)}${e.stderr ?? ''}`);
      }
    }
  };
  await Promise.all([worker(), worker()]);
  return failures;
}

describe('the embedded evaluator and promtool agree, step by step', () => {
  const scenarios = allScenarios();

  it('on every alerting rule: the same alerts pending and firing at the same steps (±1)', async () => {
    const alerting = new Set(
      RULE_FILES.flatMap((f) =>
        f.groups.flatMap((g) => alertRules(g).map((r) => `${r.alert}/${r.labels?.severity}`)),
      ),
    );
    const covered = new Set(scenarios.map((s) => s.name.replace(/ \((\w+)\).*$/, '/$1')));
    expect([...alerting].filter((a) => !covered.has(a))).toEqual([]);

    const expected = new Map(scenarios.map((s) => [s, embedded(s, GROUPS)] as const));
    for (const s of scenarios) {
      const states = expected.get(s) ?? [];
      const seen = new Set(states.flat().map((x) => /alertstate="(\w+)"/.exec(x)?.[1]));
      for (const want of s.mustSee) expect(seen.has(want), `${s.name}: ${want} at some step`).toBe(true);
      if (s.resolves) expect(states.at(-1), `${s.name}: resolved at the end`).toEqual([]);
      // The tolerance only spares the steps around the few changes of state.
      expect(assertedSteps(states).length, s.name).toBeGreaterThanOrEqual(Math.floor(s.steps * 0.75));
    }
    const failures = await promtool(scenarios, expected);
    expect(failures, failures.join('\n\n')).toEqual([]);
  }, 600_000);

  it('catches a difference: a `for` changed on the embedded side only fails the comparison', async () => {
    const s = scenarios.find((x) => x.name.startsWith('HighErrorRatio'));
    if (!s) throw new Error('no HighErrorRatio scenario');
    const group = GROUPS.get(s.groups[0] ?? '') as RuleGroupSpec;
    const tampered = new Map(GROUPS);
    tampered.set(group.name, {
      ...group,
      rules: group.rules.map((r) => (r.alert === 'HighErrorRatio' ? { ...r, for: '6m' } : r)),
    });
    const failures = await promtool([s], new Map([[s, embedded(s, tampered)]]));
    expect(failures.join('\n')).toMatch(/ALERTS\{alertname=\\"HighErrorRatio\\"\}/);
  }, 120_000);
});
