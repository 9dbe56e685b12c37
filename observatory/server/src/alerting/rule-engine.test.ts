/**
 * The embedded rule engine on the same scenarios promtool passes (cli/src/slo/promtool.int.test.ts): for every
 * alert of the committed rule files, just above fires after its `for`, just below stays silent, a stopped burn
 * resolves — with the same labels and annotations.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  type AlertScenario,
  alertScenarios,
  RECORDING_CHECKS,
} from '../../../../cli/src/slo/alert-scenarios.js';
import type { RuleFile } from '../../../../cli/src/slo/rules.js';
import type { Matcher } from './promql/ast.js';
import { matches, type Series, type SeriesSource } from './promql/evaluate.js';
import { RuleEngine } from './rule-engine.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const files = ['slo.rules.yaml', 'glassbox.rules.yaml'].map(
  (f) => parse(readFileSync(path.join(ROOT, 'deploy', 'prometheus', 'rules', f), 'utf8')) as RuleFile,
);

/** promtool's expanding notation (`a+bxn`, `axn`, plain numbers) → one value per step. */
export function expandValues(text: string): number[] {
  const out: number[] = [];
  for (const part of text.trim().split(/\s+/)) {
    const m = /^(-?[\d.e+-]+?)(?:([+-][\d.e+-]+))?x(\d+)$/.exec(part);
    if (!m) {
      out.push(Number(part));
      continue;
    }
    const start = Number(m[1]);
    const step = m[2] ? Number(m[2]) : 0;
    for (let i = 0; i <= Number(m[3]); i++) out.push(start + step * i);
  }
  return out;
}

function parseSeries(text: string): Record<string, string> {
  const m = /^([a-zA-Z_:][\w:]*)\{(.*)\}$/.exec(text);
  const labels: Record<string, string> = { __name__: m?.[1] ?? text };
  for (const pair of (m?.[2] ?? '').matchAll(/([a-zA-Z_]\w*)="([^"]*)"/g))
    labels[pair[1] ?? ''] = pair[2] ?? '';
  return labels;
}

export function scenarioSource(s: AlertScenario): SeriesSource {
  const all: Series[] = s.series.map((x) => ({
    labels: parseSeries(x.series),
    samples: expandValues(x.values).map((v, i) => ({ t: i * 60_000, v })),
  }));
  return {
    select: (ms: readonly Matcher[], from, to) =>
      all
        .filter((x) => matches(x.labels, ms))
        .map((x) => ({ labels: x.labels, samples: x.samples.filter((p) => p.t >= from && p.t <= to) }))
        .filter((x) => x.samples.length > 0),
  };
}

const scenarios = alertScenarios(files);
const groups = new Map(files.flatMap((f) => f.groups.map((g) => [g.name, g] as const)));

describe('RuleEngine on the promtool scenarios', () => {
  it.each(scenarios.map((s) => [s.name, s] as const))('%s', (_name, s) => {
    const group = groups.get(s.group);
    if (!group) throw new Error(`no group ${s.group}`);
    const engine = new RuleEngine([group], scenarioSource(s));
    const last = Math.max(...s.checks.map((c) => c.at));
    for (let minute = 0; minute <= last; minute++) {
      engine.evaluate(minute * 60_000);
      for (const check of s.checks.filter((c) => c.at === minute)) {
        const firing = engine
          .activeAlerts()
          .filter((a) => a.state === 'firing' && a.labels.alertname === s.alert);
        if (check.firing) {
          expect(
            firing.map((a) => ({ ...a.labels })),
            `minute ${minute}`,
          ).toEqual([{ ...s.labels, alertname: s.alert }]);
          expect(firing[0]?.annotations).toEqual(s.annotations);
        } else {
          expect(firing, `minute ${minute}`).toEqual([]);
        }
      }
    }
  });
});

describe('RuleEngine recordings', () => {
  it.each(RECORDING_CHECKS.map((r) => [r.name, r] as const))('%s', (_name, r) => {
    const group = groups.get(r.group);
    if (!group) throw new Error(`no group ${r.group}`);
    const source = scenarioSource({ series: r.series } as AlertScenario);
    const engine = new RuleEngine([group], source);
    for (let minute = 0; minute <= r.at; minute++) engine.evaluate(minute * 60_000);
    const probe = new RuleEngine(
      [{ name: 'probe', rules: [{ alert: 'Probe', expr: `abs(${r.expr} - ${r.value}) < 1e-9` }] }],
      { select: (ms, from, to) => [...source.select(ms, from, to), ...engine.recordedSelect(ms, from, to)] },
    );
    probe.evaluate(r.at * 60_000);
    expect(probe.activeAlerts().map((a) => a.labels.sloth_window)).toEqual([r.labels.sloth_window]);
  });
});
