import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { recordEventLoopDelay } from './event-loop.js';

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
    // Block the loop for ~300 ms, then let the monitor's timer observe the late tick.
    await new Promise((resolve) => setTimeout(resolve, 30));
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
});
