import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../stack.js';
import { alertLabel, loadScenarios, parseScenario } from './scenario.js';

const GOOD = `name: hang
description: catalog hangs
load: { rate: 2, warmup: 15s }
fault: { kind: hang, service: catalog, rate: 1, for: 5m }
expect:
  alert: HighLatencyP99
  service: catalog
  slo: public-api-catalog-availability
  healed: true
  detectWithin: 60s
  recoverWithin: 2m
`;

const refusal = (text: string) => {
  try {
    parseScenario('drills/x.yaml', text);
  } catch (err) {
    return (err as Error).message;
  }
  return 'accepted';
};

describe('drill scenarios', () => {
  it('reads a scenario into the fault request (by drill) and its expectations in ms', () => {
    const s = parseScenario('drills/hang.yaml', GOOD);
    expect(s.fault).toEqual({ kind: 'hang', service: 'catalog', rate: 1, forMs: 300_000, by: 'drill' });
    expect(s.load).toEqual({ rate: 2, concurrency: 60, warmupMs: 15_000 });
    expect(s.expect).toMatchObject({ healed: true, detectWithinMs: 60_000, recoverWithinMs: 120_000 });
    expect(s.expect).toMatchObject({ alerts: ['HighLatencyP99'] });
  });

  it('takes several alerts, any of which detects the fault', () => {
    const s = parseScenario(
      'drills/x.yaml',
      GOOD.replace('alert: HighLatencyP99', 'alert: [TargetDown, CrashLooping]'),
    );
    expect(s.expect).toMatchObject({ alerts: ['TargetDown', 'CrashLooping'] });
    expect(alertLabel(s.expect)).toBe('TargetDown or CrashLooping');
    expect(refusal(GOOD.replace('alert: HighLatencyP99', 'alert: []'))).toBe(
      'drills/x.yaml: expect.alert: must not have fewer than 1 items',
    );
    expect(refusal(GOOD.replace('alert: HighLatencyP99', 'alert: 3'))).toBe(
      'drills/x.yaml: expect.alert: must be string or array',
    );
    expect(refusal(GOOD.replace('alert: HighLatencyP99', 'alert: [TargetDown, TargetDown]'))).toBe(
      'drills/x.yaml: expect.alert: must not have duplicate items',
    );
  });

  it('the committed scenarios are valid, and cover crash-loop, hang, dependency-error and memory-leak', async () => {
    const all = await loadScenarios(path.join(REPO_ROOT, 'drills'));
    expect(all.map((s) => s.fault.kind).sort()).toEqual([
      'crash-loop',
      'dependency-error',
      'hang',
      'memory-leak',
    ]);
  });

  it('names the file, the field and the reason of a bad scenario', () => {
    expect(refusal(GOOD.replace('kind: hang', 'kind: meltdown'))).toBe(
      'drills/x.yaml: fault.kind: unknown fault kind meltdown',
    );
    expect(refusal(GOOD.replace('service: catalog, rate: 1', 'service: nope, rate: 1'))).toMatch(
      /^drills\/x\.yaml: fault\.service: unknown service "nope"/,
    );
    expect(refusal(GOOD.replace('rate: 1,', 'rate: 7,'))).toMatch(/^drills\/x\.yaml: fault\.rate: /);
    expect(refusal(GOOD.replace('for: 5m', 'for: soon'))).toBe(
      'drills/x.yaml: fault.for: "soon" is not a positive duration (30s, 2m)',
    );
    expect(refusal(GOOD.replace('  healed: true\n', ''))).toBe('drills/x.yaml: expect.healed: is required');
    expect(refusal(GOOD.replace('healed: true', 'healed: false'))).toMatch(
      /^drills\/x\.yaml: manualRemediation: is required when expect.healed is false/,
    );
    expect(refusal(`${GOOD}colour: red\n`)).toBe('drills/x.yaml: colour: unknown field');
    expect(refusal(GOOD.replace('  healed: true', '  severity: urgent\n  healed: true'))).toMatch(
      /^drills\/x\.yaml: expect\.severity: /,
    );
    expect(
      parseScenario('x.yaml', GOOD.replace('  healed: true', '  severity: page\n  healed: true')).expect
        .severity,
    ).toBe('page');
    expect(refusal('name: [')).toMatch(/^drills\/x\.yaml: \(file\): not valid YAML/);
    expect(refusal(GOOD.replace('service: catalog\n  slo', 'service: kitchen\n  slo'))).toBe(
      'drills/x.yaml: expect.service: unknown service kitchen',
    );
  });

  describe('a folder', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'glassbox-drills-'));
    });
    afterAll(() => rm(dir, { recursive: true, force: true }));

    it('refuses two scenarios of one name', async () => {
      await writeFile(path.join(dir, 'a.yaml'), GOOD);
      await writeFile(path.join(dir, 'b.yaml'), GOOD);
      await expect(loadScenarios(dir)).rejects.toThrow(
        `${path.join(dir, 'b.yaml')}: name: hang is used by another scenario`,
      );
    });
  });
});
