import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import type { LogLine } from '../logs.js';
import { freePorts } from '../ports.js';
import { until } from '../test-support.js';
import { groupAlive, ManagedProcess, type ProcessEvent } from './process.js';

const FIXTURE = fileURLToPath(new URL('../../test-fixtures/service.mjs', import.meta.url));

const running: ManagedProcess[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.shutdown()));
});

async function managed(
  env: Record<string, string>,
  opts: {
    backoff?: { initialMs: number; factor: number; maxMs: number; resetAfterMs: number };
    maxRestarts?: number;
    stopTimeoutMs?: number;
  } = {},
) {
  const [port] = await freePorts(1);
  const events: ProcessEvent[] = [];
  const logs: LogLine[] = [];
  const proc = new ManagedProcess(
    {
      name: 'fixture',
      command: process.execPath,
      args: [FIXTURE],
      cwd: process.cwd(),
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', FIXTURE_NAME: 'fixture', ...env },
      port: port ?? 0,
      readyUrl: `http://127.0.0.1:${port}/readyz`,
      startStage: 0,
      stopStage: 0,
      stopTimeoutMs: opts.stopTimeoutMs ?? 5000,
    },
    {
      backoff: opts.backoff ?? { initialMs: 100, factor: 2, maxMs: 400, resetAfterMs: 60_000 },
      maxRestarts: opts.maxRestarts,
      readyPollMs: 50,
      onLog: (l) => logs.push(l),
      onEvent: (e) => events.push(e),
    },
  );
  running.push(proc);
  return { proc, events, logs, port: port ?? 0 };
}

describe('ManagedProcess', () => {
  it('starts, reports ready, pipes its JSON logs, and stops gracefully', async () => {
    const { proc, events, logs, port } = await managed({ FIXTURE_READY_DELAY_MS: '300' });
    expect(proc.currentState).toBe('stopped');
    await proc.start();
    expect(proc.currentState).toBe('starting');
    await proc.waitReady(15_000);
    const info = proc.info();
    expect(info).toMatchObject({ name: 'fixture', state: 'ready', port, restarts: 0, stopping: false });
    expect(info.pid).toBeGreaterThan(0);
    expect(info.uptime).toBeGreaterThanOrEqual(0.3);
    const ready = events.find((e) => e.type === 'ready');
    expect(ready && ready.type === 'ready' && ready.afterMs).toBeGreaterThanOrEqual(300);
    await until(() => logs.some((l) => l.json?.msg === 'listening'));
    const pid = info.pid ?? 0;
    await proc.stop();
    expect(proc.currentState).toBe('stopped');
    expect(proc.pid).toBeNull();
    expect(groupAlive(pid)).toBe(false);
    expect(logs.some((l) => l.json?.msg === 'SIGTERM: shutting down')).toBe(true);
    const exit = events.find((e) => e.type === 'exit');
    expect(exit).toMatchObject({ type: 'exit', code: 0, expected: true });
  });

  it('restarts a crash-looping process with exponential backoff, then gives up', async () => {
    const { proc, events } = await managed({ FIXTURE_EXIT_ON_START: '7' }, { maxRestarts: 4 });
    await proc.start();
    await until(() => proc.currentState === 'crashed');
    const backoffs = events.filter((e) => e.type === 'backoff');
    expect(backoffs.map((e) => (e.type === 'backoff' ? e.delayMs : 0))).toEqual([100, 200, 400, 400]);
    expect(backoffs.map((e) => (e.type === 'backoff' ? e.attempt : 0))).toEqual([1, 2, 3, 4]);
    const spawns = events.filter((e) => e.type === 'spawn').map((e) => e.at);
    expect(spawns).toHaveLength(5);
    // Each respawn waited at least its backoff delay after the previous exit.
    const exits = events.filter((e) => e.type === 'exit').map((e) => e.at);
    for (let i = 1; i < spawns.length; i++) {
      const delay =
        backoffs[i - 1]?.type === 'backoff' ? (backoffs[i - 1] as { delayMs: number }).delayMs : 0;
      expect((spawns[i] ?? 0) - (exits[i - 1] ?? 0)).toBeGreaterThanOrEqual(delay - 5);
    }
    expect(events.some((e) => e.type === 'gave-up')).toBe(true);
    const info = proc.info();
    expect(info).toMatchObject({ state: 'crashed', restarts: 4, pid: null });
    expect(info.lastExit).toMatchObject({ code: 7, signal: null });
    // stop is illegal now, start is legal again
    await expect(proc.stop()).rejects.toThrow(/crashed/);
  });

  it('recovers after a few crashes and counts the restarts', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gb-proc-'));
    onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
    const counter = path.join(dir, 'count');
    const { proc } = await managed({ FIXTURE_CRASH_FIRST_N: '2', FIXTURE_COUNTER_FILE: counter });
    await proc.start();
    await proc.waitReady(20_000);
    expect(proc.info()).toMatchObject({ state: 'ready', restarts: 2 });
    expect(fs.readFileSync(counter, 'utf8')).toBe('3');
  });

  it('restarts a process that crashes at run time; a long run forgives earlier crashes', async () => {
    const { proc, events, port } = await managed(
      {},
      { backoff: { initialMs: 100, factor: 2, maxMs: 1000, resetAfterMs: 2500 } },
    );
    await proc.start();
    await proc.waitReady(15_000);
    const firstPid = proc.pid;
    await fetch(`http://127.0.0.1:${port}/crash`, { method: 'POST' });
    await until(() => proc.currentState === 'backoff' || proc.currentState === 'starting');
    await proc.waitReady(15_000);
    expect(proc.pid).not.toBe(firstPid);
    expect(proc.info()).toMatchObject({ restarts: 1, lastExit: { code: 3 } });
    // Crash again at once: the second crash in a row waits twice as long.
    await fetch(`http://127.0.0.1:${port}/crash`, { method: 'POST' });
    await until(() => events.filter((e) => e.type === 'backoff').length === 2);
    await proc.waitReady(15_000);
    // Stay up past resetAfterMs: the next crash counts as the first again.
    await new Promise((r) => setTimeout(r, 2700));
    await fetch(`http://127.0.0.1:${port}/crash`, { method: 'POST' });
    await until(() => events.filter((e) => e.type === 'backoff').length === 3);
    const attempts = events.flatMap((e) => (e.type === 'backoff' ? [[e.attempt, e.delayMs]] : []));
    expect(attempts).toEqual([
      [1, 100],
      [2, 200],
      [1, 100],
    ]);
    await proc.waitReady(15_000);
    expect(proc.info().restarts).toBe(3);
  });

  it('kills a process that ignores SIGTERM after the grace period, with its whole process group', async () => {
    const { proc, port } = await managed(
      { FIXTURE_IGNORE_SIGTERM: '1', FIXTURE_GRANDCHILD: '1' },
      { stopTimeoutMs: 600 },
    );
    await proc.start();
    await proc.waitReady(15_000);
    const envAnswer = (await (await fetch(`http://127.0.0.1:${port}/env`)).json()) as { grandchild: number };
    const grandchild = envAnswer.grandchild;
    expect(grandchild).toBeGreaterThan(0);
    const pid = proc.pid ?? 0;
    const t0 = Date.now();
    await proc.stop();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(550);
    expect(proc.info().lastExit).toMatchObject({ signal: 'SIGKILL' });
    expect(groupAlive(pid)).toBe(false);
    expect(() => process.kill(grandchild, 0)).toThrow();
  });

  it('rejects illegal transitions and concurrent operations', async () => {
    const { proc } = await managed({});
    await expect(proc.stop()).rejects.toThrow(/stopped/);
    await expect(proc.restart()).rejects.toThrow(/stopped/);
    await proc.start();
    await expect(proc.start()).rejects.toThrow(/starting/);
    await proc.waitReady(15_000);
    const pid = proc.pid;
    const restarting = proc.restart();
    await expect(proc.stop()).rejects.toThrow(/busy/);
    await restarting;
    await proc.waitReady(15_000);
    expect(proc.pid).not.toBe(pid);
    expect(proc.info().restarts).toBe(0);
  });
});
