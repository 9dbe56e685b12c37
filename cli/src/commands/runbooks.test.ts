import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../stack.js';
import { checkRunbooks } from './runbooks.js';

const dir = mkdtempSync(path.join(tmpdir(), 'gb-runbooks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('glassbox runbooks check', () => {
  it('lists the committed runbooks', async () => {
    const result = await checkRunbooks(path.join(REPO_ROOT, 'runbooks'));
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.lines).toContain(
        'target-down (target-down.yaml): alertname="TargetDown", job!="supervisor" → rollback-release → restart-service → restart-service → page',
      );
      expect(result.lines).toContain(
        'crash-looping (crash-looping.yaml): alertname="CrashLooping" → rollback-release → page',
      );
    }
  });

  it('names the file, the field and the reason of a bad one', async () => {
    writeFileSync(
      path.join(dir, 'bad.yaml'),
      'name: bad\ndescription: x\nmatch: [\'alertname="X"\']\nactions:\n  - action: restart-service\n    verify: { alertResolved: true, within: never }\n',
    );
    expect(await checkRunbooks(dir)).toEqual({
      ok: false,
      error: `${path.join(dir, 'bad.yaml')}: actions[0].verify.within: "never" is not a positive duration`,
    });
  });
});
