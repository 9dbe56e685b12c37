import { describe, expect, it } from 'vitest';
import { createGroupCommit } from './group-commit.js';

/** A flush the test releases by hand, recording each group it was given. */
function controlledFlush() {
  const groups: number[][] = [];
  const gates: { open: () => void; fail: (e: Error) => void }[] = [];
  return {
    groups,
    flush: (items: number[]) =>
      new Promise<void>((resolve, reject) => {
        groups.push(items);
        gates.push({ open: resolve, fail: reject });
      }),
    release: () => gates.shift()?.open(),
    fail: (e: Error) => gates.shift()?.fail(e),
  };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('group commit', () => {
  it('writes what arrives during a flush together in the next one, and resolves each caller after its write', async () => {
    const f = controlledFlush();
    const commit = createGroupCommit({ flush: f.flush, maxBatch: 100 });
    const first = commit.write(1);
    await tick();
    const later = [commit.write(2), commit.write(3), commit.write(4)];
    let firstDone = false;
    void first.then(() => {
      firstDone = true;
    });
    await tick();
    expect(firstDone).toBe(false); // not before its write
    expect(commit.pending()).toBe(4);
    f.release();
    await first;
    await tick();
    expect(f.groups).toEqual([[1], [2, 3, 4]]);
    f.release();
    await Promise.all(later);
    expect(commit.pending()).toBe(0);
  });

  it('caps a group at maxBatch', async () => {
    const f = controlledFlush();
    const commit = createGroupCommit({ flush: f.flush, maxBatch: 2 });
    const all = [1, 2, 3, 4, 5].map((n) => commit.write(n));
    for (let i = 0; i < 3; i++) {
      await tick();
      f.release();
    }
    await Promise.all(all);
    // The first write starts at once (no added latency); the rest wait and go in groups of at most 2.
    expect(f.groups).toEqual([[1], [2, 3], [4, 5]]);
  });

  it('a failed write rejects every caller of its group and no other', async () => {
    const f = controlledFlush();
    const commit = createGroupCommit({ flush: f.flush, maxBatch: 100 });
    const first = commit.write(1);
    await tick();
    const group = [commit.write(2), commit.write(3)];
    f.release();
    await first;
    await tick();
    f.fail(new Error('disk full'));
    const outcomes = await Promise.allSettled(group);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    const after = commit.write(4);
    await tick();
    f.release();
    await expect(after).resolves.toBeUndefined();
  });

  it('after close, waits for what is pending and refuses new writes', async () => {
    const f = controlledFlush();
    const commit = createGroupCommit({ flush: f.flush, maxBatch: 100 });
    const pending = commit.write(1);
    await tick();
    const closed = commit.close();
    await expect(commit.write(2)).rejects.toThrow('closed');
    f.release();
    await pending;
    await closed;
    expect(f.groups).toEqual([[1]]);
  });
});
