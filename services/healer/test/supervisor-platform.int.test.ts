/**
 * The embedded platform's restart against the supervisor's real control API and a real process (the supervisor
 * tests' fixture): a process in its first start is waited for, not killed; a running one is restarted.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { type ControlServer, startControlServer } from '../../../cli/src/control.js';
import { freePorts } from '../../../cli/src/ports.js';
import { Supervisor } from '../../../cli/src/supervisor/supervisor.js';
import { supervisorPlatform } from '../src/adapters/supervisor-platform.js';

const FIXTURE = fileURLToPath(new URL('../../../cli/test-fixtures/service.mjs', import.meta.url));
let supervisor: Supervisor | undefined;
let control: ControlServer | undefined;

afterEach(async () => {
  await control?.close();
  await supervisor?.shutdown();
  control = undefined;
  supervisor = undefined;
});

async function fixture(readyDelayMs: number): Promise<{ supervisor: Supervisor; control: ControlServer }> {
  const [port] = await freePorts(1);
  supervisor = new Supervisor(
    [
      {
        name: 'inventory',
        command: process.execPath,
        args: [FIXTURE],
        cwd: process.cwd(),
        env: {
          ...process.env,
          PORT: String(port),
          HOST: '127.0.0.1',
          FIXTURE_NAME: 'inventory',
          FIXTURE_READY_DELAY_MS: String(readyDelayMs),
        },
        port: port ?? 0,
        readyUrl: `http://127.0.0.1:${port}/readyz`,
        startStage: 0,
        stopStage: 0,
        stopTimeoutMs: 5000,
      },
    ],
    { readyPollMs: 50, onLog: () => undefined },
  );
  control = await startControlServer(supervisor, { port: 0 });
  return { supervisor, control };
}

describe('restarting through the supervisor', () => {
  it('waits for a process in its first start instead of killing it', async () => {
    const { supervisor, control } = await fixture(1_500);
    const started = supervisor.startAll(20_000);
    const proc = supervisor.get('inventory');
    while (proc?.info().state !== 'starting') await new Promise((r) => setTimeout(r, 10));
    const pid = proc.info().pid;
    const done = await supervisorPlatform(control.url).restartService('inventory');
    expect(done).toBe('waited for inventory (it was in its first start); it is ready');
    expect(proc.info()).toMatchObject({ state: 'ready', pid, restarts: 0 });
    await started;
  });

  it('restarts a process that is running', async () => {
    const { supervisor, control } = await fixture(200);
    await supervisor.startAll(20_000);
    const proc = supervisor.get('inventory');
    const pid = proc?.info().pid;
    expect(await supervisorPlatform(control.url).restartService('inventory')).toBe(
      'restarted inventory (it was ready); it is ready',
    );
    expect(proc?.info().pid).not.toBe(pid);
  });

  it('restarts a process whose first start takes longer than the wait', async () => {
    const { supervisor, control } = await fixture(3_000);
    const started = supervisor.startAll(20_000).catch(() => undefined);
    const proc = supervisor.get('inventory');
    while (proc?.info().state !== 'starting') await new Promise((r) => setTimeout(r, 10));
    const pid = proc.info().pid;
    const platform = supervisorPlatform(control.url, { firstStartWaitMs: 300 });
    expect(await platform.restartService('inventory')).toBe(
      'restarted inventory (it was starting); it is ready',
    );
    expect(proc.info().pid).not.toBe(pid);
    await started;
  });
});
