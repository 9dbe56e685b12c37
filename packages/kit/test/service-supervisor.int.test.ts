import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type StandInSupervisor,
  startUnderStandInSupervisor,
  until,
} from '../../../test/support/stand-in-supervisor.js';

const PROBE = fileURLToPath(new URL('./fixtures/probe-service.ts', import.meta.url));
let run: StandInSupervisor | undefined;
afterAll(() => run?.cleanup());

describe('a service under a supervisor that dies', () => {
  it('stops gracefully (drains, closes, exits) when its supervisor is killed with SIGKILL', async () => {
    run = await startUnderStandInSupervisor(PROBE, { PORT: '0', LOG_LEVEL: 'info' });
    const started = run;
    await until(() => started.output().includes('probe listening'), 30_000, 'the service listens');

    started.killSupervisor();
    await until(() => !started.alive(), 15_000, 'the service exited');
    const records = started
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg?: string; reason?: string });
    expect(records).toContainEqual(
      expect.objectContaining({
        msg: 'shutting down: draining in-flight requests',
        reason: 'supervisor gone',
      }),
    );
    expect(records.map((r) => r.msg)).toContain('stopped');
  }, 60_000);
});
