import { describe, expect, it } from 'vitest';
import { markersOf, renderMarkdown, renderSummary, renderSvg } from './report.js';
import type { DrillResult } from './runner.js';

const T0 = Date.parse('2026-12-05T22:00:00Z');
const result: DrillResult = {
  scenario: 'hang',
  description: 'catalog hangs',
  file: 'drills/hang.yaml',
  fault: {
    id: 'f1',
    kind: 'hang',
    service: 'catalog',
    dependency: null,
    params: { rate: 1 },
    startedAtMs: T0,
    endedAtMs: null,
    endedBy: null,
  },
  expect: {
    alerts: ['PublicApiCatalogAvailabilityBurn'],
    service: 'catalog',
    slo: 'public-api-catalog-availability',
    healed: true,
    detectWithinMs: 60_000,
    recoverWithinMs: 120_000,
  },
  objective: 0.999,
  timeline: {
    faultAtMs: T0,
    firingAtMs: T0 + 12_000,
    firstActionAtMs: T0 + 13_000,
    manualAtMs: null,
    recoveredAtMs: T0 + 40_000,
  },
  mttdMs: 12_000,
  mttaMs: 13_000,
  mttrMs: 40_000,
  healed: true,
  manualRemediation: null,
  actions: [
    {
      action: 'restart-service',
      target: 'catalog',
      alertname: 'PublicApiCatalogAvailabilityBurn',
      status: 'succeeded',
      detail: 'restarted catalog; the alert resolved',
      startedAtMs: T0 + 13_000,
      finishedAtMs: T0 + 30_000,
    },
  ],
  errorBudget: { remainingBefore: 1, remainingAfter: 0.98, consumed: 0.02 },
  orders: { accepted: 40, found: 40, lost: [], duplicated: [] },
  samples: [
    { tMs: T0, sli: 1, alert: 'inactive' },
    { tMs: T0 + 10_000, sli: 0.6, alert: 'pending' },
    { tMs: T0 + 20_000, sli: 0.5, alert: 'firing' },
    { tMs: T0 + 45_000, sli: 1, alert: 'inactive' },
  ],
  passed: true,
  failures: [],
};

describe('drill reports', () => {
  it('the chart draws the SLI, the objective and a marker for the fault, the alert, each action and the recovery', () => {
    const svg = renderSvg(result);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    const path = /<path data-role="sli" d="([^"]+)"/.exec(svg)?.[1] ?? '';
    expect(path.split(' ')).toHaveLength(4);
    expect(svg).toContain('data-role="objective"');
    expect(svg.match(/data-role="marker"/g)).toHaveLength(4);
    expect(markersOf(result).map((m) => m.label)).toEqual([
      'fault hang',
      'PublicApiCatalogAvailabilityBurn firing',
      'healer restart-service',
      'recovered',
    ]);
    // The lowest SLI is drawn lower than the objective line.
    const ys = path.split(' ').map((p) => Number(p.slice(1).split(',')[1]));
    const objectiveY = Number(/data-role="objective"[^>]*y1="([\d.]+)"/.exec(svg)?.[1]);
    expect(Math.max(...ys)).toBeGreaterThan(objectiveY);
  });

  it('the Markdown holds the numbers, the verdict and the chart; the summary a row per drill', () => {
    const md = renderMarkdown(result);
    expect(md).toContain('**PASSED**');
    expect(md).toContain('| 12.0 s | 13.0 s | 40.0 s | yes | 2.00 % | 40 | 0 | 0 |');
    expect(md).toContain('![SLI during the drill](hang.svg)');
    expect(md).toContain('restart-service catalog (PublicApiCatalogAvailabilityBurn): succeeded');
    expect(md).toContain(
      "MTTD to PublicApiCatalogAvailabilityBurn firing; MTTA to the healer's first action (restart-service catalog, on PublicApiCatalogAvailabilityBurn);",
    );
    // The healer acted first on another alert than the drill's: the sentence says so (MTTA may precede MTTD).
    const other = renderMarkdown({
      ...result,
      actions: [{ ...result.actions[0]!, alertname: 'TargetDown' }],
    });
    expect(other).toContain(
      "MTTA to the healer's first action (restart-service catalog, on TargetDown, not PublicApiCatalogAvailabilityBurn);",
    );
    // A drill that several alerts may detect: any of them is the expected one.
    const either = renderMarkdown({
      ...result,
      expect: {
        ...result.expect,
        alerts: ['TargetDown', 'CrashLooping'],
      },
      actions: [{ ...result.actions[0]!, alertname: 'CrashLooping' }],
    });
    expect(either).toContain(
      "MTTD to the first of TargetDown or CrashLooping firing; MTTA to the healer's first action (restart-service catalog, on CrashLooping);",
    );
    const failed = renderMarkdown({ ...result, passed: false, failures: ['1 accepted orders lost'] });
    expect(failed).toContain('**FAILED**: 1 accepted orders lost');
    expect(md).toContain('Ground truth: the fault was still active when the drill ended');
    const rolledBack = renderMarkdown({
      ...result,
      fault: { ...result.fault, endedAtMs: T0 + 6_000, endedBy: 'healer' },
    });
    expect(rolledBack).toContain(
      'Ground truth: the fault ended at +6.0 s, ended by healer (a rollback of the bad release it models).',
    );
    expect(renderSummary([result], 60)).toContain(
      '| hang | hang → catalog | PublicApiCatalogAvailabilityBurn | 12.0 s | 13.0 s | 40.0 s | yes | 2.00 % | 0 / 0 of 40 | pass |',
    );
  });
});
