import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { recordProcessCpu } from './process-cpu.js';

class CollectingReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

async function cpuSeconds(reader: CollectingReader): Promise<Record<string, number>> {
  const { resourceMetrics } = await reader.collect();
  const metric = resourceMetrics.scopeMetrics
    .flatMap((s) => s.metrics)
    .find((m) => m.descriptor.name === 'process.cpu.time');
  const out: Record<string, number> = {};
  for (const p of metric?.dataPoints ?? []) out[String(p.attributes['cpu.mode'])] = Number(p.value);
  return out;
}

describe('recordProcessCpu', () => {
  it('counts the CPU seconds the process burns, per mode, as a monotonic counter in seconds', async () => {
    const reader = new CollectingReader();
    const provider = new MeterProvider({ readers: [reader] });
    recordProcessCpu(provider.getMeter('t'));
    const before = await cpuSeconds(reader);
    expect(Object.keys(before).sort()).toEqual(['system', 'user']);
    // Burn 200 ms of CPU on this thread: the user time must grow by about that much.
    const start = process.cpuUsage();
    for (;;) {
      const used = process.cpuUsage(start);
      if (used.user + used.system >= 200_000) break;
    }
    const after = await cpuSeconds(reader);
    const grew = (after.user ?? 0) + (after.system ?? 0) - (before.user ?? 0) - (before.system ?? 0);
    expect(grew).toBeGreaterThanOrEqual(0.2);
    expect(grew).toBeLessThan(2);
    const { resourceMetrics } = await reader.collect();
    const descriptor = resourceMetrics.scopeMetrics[0]?.metrics[0]?.descriptor;
    expect(descriptor?.unit).toBe('s');
    await provider.shutdown();
  });
});
