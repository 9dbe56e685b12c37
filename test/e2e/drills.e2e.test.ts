/**
 * The short drill suite CI runs (issue 9 §5): hang, an error burst behind a failing dependency and crash-loop,
 * one after the other on one stack of every service with the observatory and the healer, at
 * `GLASSBOX_SLO_TIME_SCALE=60`. Each drill injects its fault through the control API while load runs; the test
 * fails when a fault goes undetected, when one the healer should heal is not healed (crash-loop and the
 * dependency error are not healable by its actions yet: they must be detected, acted on and escalated, then
 * recovered by what a person does), when detection or recovery is later than the scenario allows, or when an accepted order is lost or
 * duplicated. The reports go to test-results/drills/; the suite's duration is printed.
 */
import path from 'node:path';
import { testServerUrl } from '@glassbox/kit/testing';
import { describe, expect, it } from 'vitest';
import { runDrillSuite } from '../../cli/src/commands/drill.js';
import { writeReports } from '../../cli/src/drills/report.js';
import { loadScenario } from '../../cli/src/drills/scenario.js';
import { REPO_ROOT } from '../../cli/src/stack.js';

// What the healer heals first; what it escalates to a person last (see suiteOrder).
const SUITE = ['hang', 'dependency-error', 'crash-loop'];

describe('the short drill suite at time scale 60', () => {
  it('every fault is detected, healed (or escalated and rolled back), with no order lost or duplicated', async () => {
    const began = Date.now();
    const dir = path.join(REPO_ROOT, 'drills');
    // The stack is fresh for the first drill; the others only need their own warm-up to pass the health check.
    const scenarios = (await Promise.all(SUITE.map((name) => loadScenario(dir, name)))).map((s) => ({
      ...s,
      load: { ...s.load, warmupMs: 5000 },
    }));
    const results = await runDrillSuite({
      scenarios,
      timeScale: 60,
      databaseUrl: testServerUrl(),
      log: (line) => process.stdout.write(`[drills] ${line}\n`),
    });
    await writeReports(path.join(REPO_ROOT, 'test-results', 'drills'), results, 60);

    for (const r of results) {
      process.stdout.write(
        `[drills] ${r.scenario}: MTTD ${r.mttdMs} ms, MTTA ${r.mttaMs} ms, MTTR ${r.mttrMs} ms, ` +
          `orders ${r.orders.accepted} accepted / ${r.orders.lost.length} lost / ${r.orders.duplicated.length} duplicated` +
          `${r.failures.length ? `; ${r.failures.join('; ')}` : ''}\n`,
      );
    }
    expect(results.map((r) => r.scenario)).toEqual(SUITE);
    for (const r of results) {
      expect({ scenario: r.scenario, failures: r.failures }).toEqual({ scenario: r.scenario, failures: [] });
      expect(r.mttdMs).not.toBeNull();
      expect(r.mttaMs).not.toBeNull();
      expect(r.orders.lost).toEqual([]);
      expect(r.orders.duplicated).toEqual([]);
      expect(r.healed).toBe(r.expect.healed);
    }
    // What the healer cannot heal (the crash loop; the dependency error, see drills/dependency-error.yaml) is
    // escalated: the healer acted, and recovery came with the person's remediation.
    for (const r of results.filter((x) => !x.expect.healed)) {
      expect(r.timeline.manualAtMs).not.toBeNull();
      expect(r.actions.some((a) => a.status === 'paged') || r.actions.length > 0).toBe(true);
    }
    expect(results.find((r) => r.scenario === 'hang')?.healed).toBe(true);
    process.stdout.write(`[drills] suite took ${((Date.now() - began) / 1000).toFixed(0)} s\n`);
  }, 420_000);
});
