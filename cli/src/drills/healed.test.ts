import { describe, expect, it } from 'vitest';
import { judgeHealed } from './runner.js';

const base = {
  recoveredAtMs: 40_000,
  manualAtMs: null,
  actions: [{ status: 'succeeded' }],
  endedAtMs: null,
  endedBy: null,
};

describe('judgeHealed', () => {
  it('healed: a verified action of the healer, the fault still active at the recovery', () => {
    expect(judgeHealed(base)).toEqual({ healed: true, endedUnderIt: false });
    // It ended after the recovery (the drill clears it at the end): still the healer's doing.
    expect(judgeHealed({ ...base, endedAtMs: 60_000, endedBy: 'drill' }).healed).toBe(true);
  });

  it('healed: the healer ended the fault itself (a rollback of a bad release)', () => {
    expect(judgeHealed({ ...base, endedAtMs: 6_000, endedBy: 'healer' }).healed).toBe(true);
  });

  it('not healed when the fault ended under it (cleared by someone else, or ran out) before the recovery', () => {
    for (const endedBy of ['drill', 'cli', 'expired', 'unknown']) {
      expect(judgeHealed({ ...base, endedAtMs: 30_000, endedBy })).toEqual({
        healed: false,
        endedUnderIt: true,
      });
    }
  });

  it('not healed with a manual step, without a verified action, or without a recovery', () => {
    expect(judgeHealed({ ...base, manualAtMs: 20_000 }).healed).toBe(false);
    expect(judgeHealed({ ...base, actions: [{ status: 'failed' }, { status: 'paged' }] }).healed).toBe(false);
    expect(judgeHealed({ ...base, recoveredAtMs: null }).healed).toBe(false);
  });
});
