import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { DELAY_SAMPLE_MS, recordEventLoopDelay } from './event-loop.js';

/**
 * CPU time (ms) an otherwise idle Node process spends in 2.5 s after `setup` (a module body; `monitor` is
 * node:perf_hooks' monitorEventLoopDelay, `record` this module's recordEventLoopDelay with a meter that keeps
 * nothing).
 */
async function idleCpuMs(setup: string): Promise<number> {
  const script = `
    import { monitorEventLoopDelay as monitor } from 'node:perf_hooks';
    const { recordEventLoopDelay: record } = await import(${JSON.stringify(new URL('./event-loop.ts', import.meta.url).href)});
    const meter = { createObservableGauge: () => ({ addCallback() {} }) };
    ${setup};
    await new Promise((r) => setTimeout(r, 500));
    const before = process.cpuUsage();
    await new Promise((r) => setTimeout(r, 2500));
    const used = process.cpuUsage(before);
    console.log((used.user + used.system) / 1000);
    process.exit(0);`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script]);
  return Number(stdout.trim());
}

class CollectingReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

async function gauge(reader: CollectingReader, name: string): Promise<number> {
  const { resourceMetrics } = await reader.collect();
  const metric = resourceMetrics.scopeMetrics
    .flatMap((s) => s.metrics)
    .find((m) => m.descriptor.name === name);
  return Number(metric?.dataPoints[0]?.value ?? Number.NaN);
}

describe('recordEventLoopDelay', () => {
  it('reports a blocked event loop in seconds', async () => {
    const reader = new CollectingReader();
    const provider = new MeterProvider({ readers: [reader] });
    const recorder = recordEventLoopDelay(provider.getMeter('t'), 60_000);
    // Let the monitor take its first sample (which only starts its clock), block the loop for ~300 ms, then
    // let the monitor's timer observe the late tick.
    await new Promise((resolve) => setTimeout(resolve, 2 * DELAY_SAMPLE_MS + 20));
    const until = Date.now() + 300;
    while (Date.now() < until) {
      // busy
    }
    await new Promise((resolve) => setTimeout(resolve, 30));
    const max = await gauge(reader, 'nodejs.eventloop.delay.max');
    expect(max).toBeGreaterThan(0.2);
    expect(max).toBeLessThan(5);
    expect(await gauge(reader, 'nodejs.eventloop.delay.p99')).toBeGreaterThan(0);
    recorder.stop();
    await provider.shutdown();
  });

  it('reports an idle loop as not late (0 s), not as the sampling period', async () => {
    const reader = new CollectingReader();
    const provider = new MeterProvider({ readers: [reader] });
    const recorder = recordEventLoopDelay(provider.getMeter('t'), 60_000);
    await new Promise((resolve) => setTimeout(resolve, 6 * DELAY_SAMPLE_MS));
    // Each tick comes DELAY_SAMPLE_MS after the last one at least (what Node records); an idle loop is late by
    // a few ms, far less than a whole period even on a busy machine.
    expect(await gauge(reader, 'nodejs.eventloop.delay.p99')).toBeLessThan(DELAY_SAMPLE_MS / 1000);
    expect(await gauge(reader, 'nodejs.eventloop.delay.p99')).toBeGreaterThanOrEqual(0);
    recorder.stop();
    await provider.shutdown();
  });

  it('reports how much of the window the loop was busy: near 1 when a busy loop holds it, low when idle', async () => {
    const reader = new CollectingReader();
    const provider = new MeterProvider({ readers: [reader] });
    const recorder = recordEventLoopDelay(provider.getMeter('t'), 400);
    // Window 1: idle. Window 2: busy 95 ms of every 100 ms, as the cpu-burn fault does.
    await new Promise((resolve) => setTimeout(resolve, 450));
    const idle = await gauge(reader, 'nodejs.eventloop.utilization');
    const burn = setInterval(() => {
      const until = performance.now() + 95;
      while (performance.now() < until) {
        // busy
      }
    }, 100);
    await new Promise((resolve) => setTimeout(resolve, 850));
    clearInterval(burn);
    const busy = await gauge(reader, 'nodejs.eventloop.utilization');
    expect(idle).toBeLessThan(0.5);
    expect(busy).toBeGreaterThan(0.8);
    expect(busy).toBeLessThanOrEqual(1);
    recorder.stop();
    await provider.shutdown();
  });

  it('costs an idle process well under half of what sampling every 10 ms costs', async () => {
    // Side by side, in one run: the kit's monitor against the usual 10 ms one and against none.
    const [kit, every10ms, none] = await Promise.all([
      idleCpuMs('record(meter)'),
      idleCpuMs('monitor({ resolution: 10 }).enable()'),
      idleCpuMs('setInterval(() => {}, 5000)'),
    ]);
    expect(kit - none).toBeLessThan(0.5 * (every10ms - none));
  }, 20_000);
});
