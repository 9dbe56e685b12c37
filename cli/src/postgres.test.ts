import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { blockedAncestor, throwawayStateDir } from './postgres.js';

/** Another OS user (as the `postgres` user is for root): owns nothing here, in no group of ours. */
const stranger = { uid: 54_321, gid: 54_321 };

describe('throwawayStateDir', () => {
  const made: string[] = [];
  afterEach(async () => {
    for (const dir of made.splice(0)) await fs.rm(dir, { recursive: true, force: true });
  });

  it('is a fresh directory another user can enter, so an embedded cluster can live inside it', async () => {
    const dir = await throwawayStateDir('glassbox-test-');
    made.push(dir);
    expect((await fs.stat(dir)).mode & 0o777).toBe(0o755);
    expect(await blockedAncestor(path.join(dir, 'pg'), stranger)).toBeUndefined();
    const again = await throwawayStateDir('glassbox-test-');
    made.push(again);
    expect(again).not.toBe(dir);
  });

  it('where a plain mkdtemp directory is closed to that user (what it avoids)', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'glassbox-test-'));
    made.push(dir);
    expect(await blockedAncestor(path.join(dir, 'pg'), stranger)).toBe(dir);
  });
});
