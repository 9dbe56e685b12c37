import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { recordV8Runtime } from './v8-runtime.js';

class CollectingReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

async function collect(reader: CollectingReader) {
  const { resourceMetrics } = await reader.collect();
  return resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
}

describe('recordV8Runtime', () => {
  it('reports heap use per space and the duration of a forced collection', async () => {
    const reader = new CollectingReader();
    const provider = new MeterProvider({ readers: [reader] });
    const recorder = recordV8Runtime(provider.getMeter('t'));
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    // The observer's callback runs after the GC entry is queued: wait for the histogram to see it.
    let seen: Awaited<ReturnType<typeof collect>> = [];
    for (let i = 0; i < 50; i++) {
      seen = await collect(reader);
      if (seen.some((m) => m.descriptor.name === 'v8js.gc.duration' && m.dataPoints.length > 0)) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    const used = seen.find((m) => m.descriptor.name === 'v8js.memory.heap.used');
    const spaces = used?.dataPoints.map((p) => p.attributes['v8js.heap.space.name']) ?? [];
    expect(spaces).toContain('old_space');
    const oldSpace = used?.dataPoints.find((p) => p.attributes['v8js.heap.space.name'] === 'old_space');
    expect(Number(oldSpace?.value)).toBeGreaterThan(0);
    const gcMetric = seen.find((m) => m.descriptor.name === 'v8js.gc.duration');
    const kinds = gcMetric?.dataPoints.map((p) => p.attributes['v8js.gc.type']) ?? [];
    expect(kinds).toContain('major');
    recorder.stop();
    await provider.shutdown();
  });
});
