import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type StandInSupervisor,
  startUnderStandInSupervisor,
  until,
} from '../../../test/support/stand-in-supervisor.js';

const PROBE = fileURLToPath(new URL('./fixtures/probe-service.ts', import.meta.url));
const runs: StandInSupervisor[] = [];
afterAll(() => {
  for (const run of runs) run.cleanup();
});

type LogRecord = { level?: string; msg?: string; reason?: string };
const recordsOf = (output: string): LogRecord[] =>
  output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogRecord);

describe('a service under a supervisor that dies', () => {
  it('stops gracefully (drains, closes, exits) when its supervisor is killed with SIGKILL', async () => {
    const started = await startUnderStandInSupervisor(PROBE, { PORT: '0', LOG_LEVEL: 'info' });
    runs.push(started);
    await until(() => started.output().includes('probe listening'), 30_000, 'the service listens');

    started.killSupervisor();
    await until(() => !started.alive(), 15_000, 'the service exited');
    const records = recordsOf(started.output());
    expect(records).toContainEqual(
      expect.objectContaining({
        msg: 'shutting down: draining in-flight requests',
        reason: 'supervisor gone',
      }),
    );
    expect(records.map((r) => r.msg)).toContain('stopped');
  }, 60_000);

  it('does not wait out SHUTDOWN_TIMEOUT_MS for an OTLP endpoint that does not answer (the observatory went too)', async () => {
    // Nothing listens on port 9 of loopback: every export is refused, and the exporters retry until their timeout.
    const started = await startUnderStandInSupervisor(PROBE, {
      PORT: '0',
      LOG_LEVEL: 'info',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
      SHUTDOWN_TIMEOUT_MS: '20000',
    });
    runs.push(started);
    await until(() => started.output().includes('probe listening'), 30_000, 'the service listens');

    started.killSupervisor();
    await until(() => !started.alive(), 30_000, 'the service exited');
    const records = recordsOf(started.output());
    expect(records.map((r) => r.msg)).toContain('stopped');
    expect(records).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        msg: 'telemetry not exported: the OTLP endpoint did not answer in time; stopping without it',
      }),
    );
    expect(records.map((r) => r.msg)).not.toContain('shutdown timed out; exiting');
  }, 60_000);
});
