import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { recordProcessMemory } from './process-memory.js';

class CollectingReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

async function rss(reader: CollectingReader): Promise<number> {
  const { resourceMetrics } = await reader.collect();
  const metric = resourceMetrics.scopeMetrics
    .flatMap((s) => s.metrics)
    .find((m) => m.descriptor.name === 'process.memory.usage');
  expect(metric?.descriptor.unit).toBe('By');
  return Number(metric?.dataPoints[0]?.value);
}

describe('recordProcessMemory', () => {
  it('reports the resident set, which grows with memory outside the V8 heap', async () => {
    const reader = new CollectingReader();
    const provider = new MeterProvider({ readers: [reader] });
    recordProcessMemory(provider.getMeter('t'));
    const before = await rss(reader);
    expect(before).toBeGreaterThan(10 * 1024 * 1024);
    // 64 MiB of Buffers, written so the pages are resident: what the memory-leak fault retains.
    const held = Array.from({ length: 16 }, () => Buffer.alloc(4 * 1024 * 1024, 1));
    const after = await rss(reader);
    expect(after - before).toBeGreaterThan(48 * 1024 * 1024);
    expect(held).toHaveLength(16);
    await provider.shutdown();
  });
});
