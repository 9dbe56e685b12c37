import { describe, expect, it } from 'vitest';
import { decide, type SafeguardPolicy } from './safeguards.js';

const POLICY: SafeguardPolicy = {
  dryRun: false,
  approval: 'none',
  cooldownMs: 300_000,
  maxActionsPerHour: 3,
};
const NOW = new Date('2026-12-05T12:00:00Z');
const QUIET = { executedLastHour: 0, lastOnTargetByOtherIncident: null };
const restart = { disruptive: true };

describe('the safeguards', () => {
  it('let an action run when nothing holds it back', () => {
    expect(decide(restart, QUIET, POLICY, NOW)).toEqual({ kind: 'execute' });
  });

  it('dry-run decides and records, never executes', () => {
    expect(decide(restart, QUIET, { ...POLICY, dryRun: true }, NOW).kind).toBe('dry-run');
  });

  it('hold back a second action on a target within its cooldown, not after it', () => {
    const at = (msAgo: number) => ({
      ...QUIET,
      lastOnTargetByOtherIncident: new Date(NOW.getTime() - msAgo),
    });
    const held = decide(restart, at(60_000), POLICY, NOW);
    expect(held.kind).toBe('cooldown');
    expect(held.kind === 'cooldown' && held.reason).toContain('240 s left');
    expect(decide(restart, at(300_001), POLICY, NOW).kind).toBe('execute');
  });

  it('cap the actions per hour', () => {
    expect(decide(restart, { ...QUIET, executedLastHour: 2 }, POLICY, NOW).kind).toBe('execute');
    expect(decide(restart, { ...QUIET, executedLastHour: 3 }, POLICY, NOW).kind).toBe('cap-reached');
  });

  it('make a disruptive action wait for approval, and let it run once approved', () => {
    const policy = { ...POLICY, approval: 'disruptive' as const };
    expect(decide(restart, QUIET, policy, NOW).kind).toBe('awaiting-approval');
    expect(decide({ disruptive: true, approved: true }, QUIET, policy, NOW).kind).toBe('execute');
    expect(decide({ disruptive: false }, QUIET, policy, NOW).kind).toBe('execute');
    // approval does not lift the other safeguards
    expect(
      decide({ disruptive: true, approved: true }, { ...QUIET, executedLastHour: 3 }, policy, NOW).kind,
    ).toBe('cap-reached');
  });
});
