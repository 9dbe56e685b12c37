import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkRunbookSet, matchRunbook, parseRunbook, RunbookError } from './runbook.js';

const GOOD = `
name: target-down
description: restart what is down
match:
  - alertname="TargetDown"
  - job!="supervisor"
target: service
actions:
  - action: restart-service
    verify: { alertResolved: true, within: 90s }
  - action: restart-service
    verify: { sliRecovered: { slo: checkout-checkout-success, window: 5m }, within: 2m }
`;

function refusal(text: string): { field: string; reason: string } {
  try {
    parseRunbook('runbooks/x.yaml', text);
  } catch (err) {
    expect(err).toBeInstanceOf(RunbookError);
    const e = err as RunbookError;
    expect(e.file).toBe('runbooks/x.yaml');
    expect(e.message).toBe(`runbooks/x.yaml: ${e.field}: ${e.reason}`);
    return { field: e.field, reason: e.reason };
  }
  throw new Error('the runbook was accepted');
}

describe('runbook files', () => {
  it('parses matchers, the target label, actions and their verifications', () => {
    const r = parseRunbook('runbooks/x.yaml', GOOD);
    expect(r.name).toBe('target-down');
    expect(r.targetLabel).toBe('service');
    expect(r.actions).toEqual([
      { action: 'restart-service', disruptive: true, verify: { kind: 'alert-resolved', withinMs: 90_000 } },
      {
        action: 'restart-service',
        disruptive: true,
        verify: { kind: 'sli-recovered', withinMs: 120_000, slo: 'checkout-checkout-success', window: '5m' },
      },
    ]);
  });

  it('names the file, the field and the reason of every mistake', () => {
    expect(refusal(GOOD.replace('name: target-down', 'name: Target Down'))).toMatchObject({ field: 'name' });
    expect(refusal(GOOD.replace('action: restart-service', 'action: reboot-host'))).toEqual({
      field: 'actions[0].action',
      reason: 'unknown action (known: restart-service, rollback-release, scale-out, open-circuit, shed-load)',
    });
    expect(refusal(GOOD.replace('within: 90s', 'within: soon'))).toEqual({
      field: 'actions[0].verify.within',
      reason: '"soon" is not a positive duration',
    });
    expect(refusal(GOOD.replace('alertResolved: true, within', 'within'))).toEqual({
      field: 'actions[0].verify',
      reason: 'give exactly one of alertResolved or sliRecovered',
    });
    expect(refusal(GOOD.replace('- alertname="TargetDown"', '- alertname=TargetDown'))).toMatchObject({
      field: 'match[0]',
    });
    expect(refusal(GOOD.replace('- alertname="TargetDown"', '- alertname=~"(("'))).toMatchObject({
      field: 'match[0]',
      reason: expect.stringContaining('invalid regular expression'),
    });
    expect(refusal(GOOD.replace('- alertname="TargetDown"\n', ''))).toEqual({
      field: 'match',
      reason: 'needs at least one positive matcher (= or =~), or it takes every alert',
    });
    expect(refusal(GOOD.replace('description: restart what is down\n', ''))).toEqual({
      field: 'description',
      reason: 'is required',
    });
    expect(refusal(`${GOOD}\nsurprise: 1\n`)).toEqual({ field: 'surprise', reason: 'unknown field' });
    expect(refusal(GOOD.replace('window: 5m', 'window: 7m'))).toMatchObject({
      field: 'actions[1].verify.sliRecovered.window',
    });
    expect(refusal('name: [')).toMatchObject({
      field: '(file)',
      reason: expect.stringContaining('not valid YAML'),
    });
  });

  it('takes the levers’ parameters, with defaults, only where they mean something', () => {
    const levers = parseRunbook(
      'l.yaml',
      GOOD.replace(
        '- action: restart-service\n    verify: { alertResolved',
        '- action: open-circuit\n    forSeconds: 60\n    verify: { alertResolved',
      ).replace(
        '- action: restart-service\n    verify: { sliRecovered',
        '- action: shed-load\n    verify: { sliRecovered',
      ),
    );
    expect(levers.actions.map((a) => [a.action, a.forSeconds, a.fraction])).toEqual([
      ['open-circuit', 60, undefined],
      ['shed-load', 300, 0.5],
    ]);
    expect(
      refusal(GOOD.replace('- action: restart-service\n', '- action: restart-service\n    fraction: 0.2\n')),
    ).toEqual({
      field: 'actions[0].fraction',
      reason: 'only shed-load takes a fraction',
    });
    expect(
      refusal(GOOD.replace('- action: restart-service\n', '- action: shed-load\n    fraction: 1.5\n')),
    ).toMatchObject({
      field: 'actions[0].fraction',
    });
    const rollback = parseRunbook(
      'r.yaml',
      GOOD.replace('- action: restart-service\n', '- action: rollback-release\n'),
    );
    expect(rollback.actions[0]).toMatchObject({ action: 'rollback-release', disruptive: true });
    expect(rollback.actions[0]?.forSeconds).toBeUndefined();
    expect(
      refusal(
        GOOD.replace('- action: restart-service\n', '- action: rollback-release\n    forSeconds: 60\n'),
      ),
    ).toEqual({ field: 'actions[0].forSeconds', reason: 'rollback-release takes no forSeconds' });
  });

  it('refuses two runbooks of one name', () => {
    const a = parseRunbook('runbooks/a.yaml', GOOD);
    const b = parseRunbook('runbooks/b.yaml', GOOD);
    expect(() => checkRunbookSet([a, b])).toThrow(
      'runbooks/b.yaml: name: runbook target-down is also defined in runbooks/a.yaml',
    );
  });

  it('matches alerts on all their matchers, first runbook first', () => {
    const down = parseRunbook('a.yaml', GOOD);
    const errors = parseRunbook(
      'b.yaml',
      GOOD.replace('name: target-down', 'name: errors').replace(
        '- alertname="TargetDown"',
        '- alertname=~"High.*|TargetDown"',
      ),
    );
    const set = [down, errors];
    expect(matchRunbook(set, { alertname: 'TargetDown', job: 'order', service: 'order' })?.name).toBe(
      'target-down',
    );
    expect(matchRunbook(set, { alertname: 'HighErrorRatio', service: 'order' })?.name).toBe('errors');
    // anchored regex: no partial match
    expect(matchRunbook(set, { alertname: 'VeryHighErrorRatio' })).toBeUndefined();
    // the negative matcher excludes the supervisor's own target
    expect(matchRunbook([down], { alertname: 'TargetDown', job: 'supervisor' })).toBeUndefined();
  });

  it('accepts every committed runbook', () => {
    const dir = fileURLToPath(new URL('../../../../runbooks/', import.meta.url));
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThan(0);
    const all = files.map((f) => parseRunbook(f, readFileSync(path.join(dir, f), 'utf8')));
    expect(() => checkRunbookSet(all)).not.toThrow();
  });
});
