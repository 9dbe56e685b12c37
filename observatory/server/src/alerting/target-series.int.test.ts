/**
 * `up` and the supervisor's series in embedded mode, read from a real supervisor's control API: a fixture
 * process supervised and ready is `up 1`; stopped through the control API, `up 0`; an unreachable control API
 * is `up{job="supervisor"} 0`. The observatory's own metrics come as job `observatory`.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ControlServer, startControlServer } from '../../../../cli/src/control.js';
import { freePorts } from '../../../../cli/src/ports.js';
import { Supervisor } from '../../../../cli/src/supervisor/supervisor.js';
import { SelfStats } from '../self/self-stats.js';
import { observatorySamples, supervisorSamples, type TargetSample } from './target-series.js';

const FIXTURE = fileURLToPath(new URL('../../../../cli/test-fixtures/service.mjs', import.meta.url));

describe('target series from the supervisor', () => {
  let supervisor: Supervisor;
  let control: ControlServer;

  beforeAll(async () => {
    const [port, controlPort] = await freePorts(2);
    supervisor = new Supervisor(
      [
        {
          name: 'inventory',
          command: process.execPath,
          args: [FIXTURE],
          cwd: process.cwd(),
          env: { ...process.env, PORT: String(port), OTEL_SERVICE_NAME: 'inventory' },
          port: port ?? 0,
          readyUrl: `http://127.0.0.1:${port}/readyz`,
          startStage: 1,
          stopStage: 1,
        },
      ],
      { onLog: () => undefined, readyPollMs: 50 },
    );
    control = await startControlServer(supervisor, { port: controlPort ?? 0 });
  }, 60_000);

  afterAll(async () => {
    await supervisor?.shutdown();
    await control?.close();
  });

  const value = (samples: TargetSample[], name: string, labels: Record<string, string>) =>
    samples.find(
      (s) => s.labels.__name__ === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
    )?.v;

  it('a ready process is up; stopped, it is down; restarts and process states are series of job supervisor', async () => {
    const instance = new URL(control.url).host;
    // Not started yet: a process on its first start is no target yet (no `up`), its state is known.
    let samples = await supervisorSamples(control.url, 2000);
    expect(value(samples, 'up', { job: 'inventory' })).toBeUndefined();
    expect(value(samples, 'glassbox_supervisor_process_up', { process: 'inventory' })).toBe(0);
    await supervisor.startAll(30_000);
    samples = await supervisorSamples(control.url, 2000);
    expect(value(samples, 'up', { job: 'inventory' })).toBe(1);
    expect(value(samples, 'up', { job: 'supervisor', instance })).toBe(1);
    expect(
      value(samples, 'glassbox_supervisor_restarts_total', { job: 'supervisor', process: 'inventory' }),
    ).toBe(0);
    expect(value(samples, 'glassbox_supervisor_process_up', { process: 'inventory' })).toBe(1);

    const stop = await fetch(`${control.url}/services/inventory/stop`, { method: 'POST' });
    expect(stop.status).toBe(200);
    samples = await supervisorSamples(control.url, 2000);
    expect(value(samples, 'up', { job: 'inventory' })).toBe(0);
    expect(value(samples, 'glassbox_supervisor_process_up', { process: 'inventory' })).toBe(0);
  });

  it('an unreachable control API is the supervisor down, and nothing else', async () => {
    const [free] = await freePorts(1);
    const samples = await supervisorSamples(`http://127.0.0.1:${free}`, 500);
    expect(samples).toEqual([
      { labels: { __name__: 'up', job: 'supervisor', instance: `127.0.0.1:${free}` }, v: 0 },
    ]);
  });

  it("the observatory's own metrics as job observatory", () => {
    const stats = new SelfStats({ storeMaxBytes: 1000, retentionHours: 1 });
    const samples = observatorySamples(stats.snapshot());
    expect(value(samples, 'observatory_store_max_bytes', { job: 'observatory' })).toBe(1000);
    expect(
      value(samples, 'observatory_otlp_items_received_total', { job: 'observatory', signal: 'spans' }),
    ).toBe(0);
  });
});
