import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { DELAY_SAMPLE_MS, lateSeconds, recordEventLoopDelay } from './event-loop.js';

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

  it('reports how late a tick came: Node’s sample less the sampling period, never below 0', () => {
    const period = DELAY_SAMPLE_MS * 1e6;
    expect(lateSeconds(period + 3e6)).toBeCloseTo(0.003, 9);
    expect(lateSeconds(period)).toBe(0);
    expect(lateSeconds(period - 1e6)).toBe(0);
    expect(lateSeconds(Number.NaN)).toBe(0);
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

  it('keeps p99 for what recurs: one stall in a window moves the max, not the p99', async () => {
    const reader = new CollectingReader();
    const provider = new MeterProvider({ readers: [reader] });
    const recorder = recordEventLoopDelay(provider.getMeter('t'), 2_000);
    // One 250 ms stall in a 2 s window, the loop otherwise idle (as a GC pause or a moment without the CPU).
    await new Promise((resolve) => setTimeout(resolve, 500));
    const until = Date.now() + 250;
    while (Date.now() < until) {
      // busy
    }
    await new Promise((resolve) => setTimeout(resolve, 1_700));
    expect(await gauge(reader, 'nodejs.eventloop.delay.max')).toBeGreaterThan(0.2);
    expect(await gauge(reader, 'nodejs.eventloop.delay.p99')).toBeLessThan(0.1);
    recorder.stop();
    await provider.shutdown();
  });
});
