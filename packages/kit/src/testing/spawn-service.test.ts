import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnService } from './index.js';

const root = mkdtempSync(join(tmpdir(), 'gb-spawn-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('spawnService', () => {
  it('kills a service that never says it is listening, instead of leaving it running', async () => {
    // A "service" that starts, tells its pid and never listens.
    mkdirSync(join(root, 'dist', 'services', 'mute'), { recursive: true });
    writeFileSync(
      join(root, 'dist', 'services', 'mute', 'main.js'),
      'process.stderr.write(`pid=${process.pid}\\n`); setInterval(() => {}, 1000);\n',
    );
    const error = await spawnService({ name: 'mute', cwd: root, env: process.env, timeoutMs: 1_500 }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/no listening line in time/);
    const pid = Number(/pid=(\d+)/.exec(error?.message ?? '')?.[1]);
    expect(pid).toBeGreaterThan(0);
    const deadline = Date.now() + 5_000;
    while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(alive(pid)).toBe(false);
  });
});
