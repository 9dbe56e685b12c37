/**
 * V8 heap and garbage collection of the process, named as the OpenTelemetry V8 runtime conventions name them:
 * `v8js.memory.heap.used` and `v8js.memory.heap.limit` per heap space (bytes) and `v8js.gc.duration` per GC
 * kind (seconds). The Runtime dashboard and the sizing in docs/deploy.md read them: a heap creeping towards
 * its limit, or major collections taking longer, show before the process slows or is killed.
 */
import { constants, type PerformanceEntry, PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';
import type { Meter } from '@opentelemetry/api';

export interface V8RuntimeMetrics {
  stop(): void;
}

const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

export function recordV8Runtime(meter: Meter): V8RuntimeMetrics {
  const used = meter.createObservableGauge('v8js.memory.heap.used', {
    description: 'V8 heap memory used, per heap space',
    unit: 'By',
  });
  const limit = meter.createObservableGauge('v8js.memory.heap.limit', {
    description: 'V8 heap memory available, per heap space',
    unit: 'By',
  });
  used.addCallback((result) => {
    for (const space of getHeapSpaceStatistics()) {
      result.observe(space.space_used_size, { 'v8js.heap.space.name': space.space_name });
    }
  });
  limit.addCallback((result) => {
    for (const space of getHeapSpaceStatistics()) {
      result.observe(space.space_size, { 'v8js.heap.space.name': space.space_name });
    }
  });
  const gcDuration = meter.createHistogram('v8js.gc.duration', {
    description: 'Garbage collection pauses, per kind',
    unit: 's',
    advice: { explicitBucketBoundaries: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1] },
  });
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      // A GC entry carries its kind in `detail` (Node ≥ 16); the type names only the base entry.
      const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
      gcDuration.record(entry.duration / 1000, { 'v8js.gc.type': GC_KINDS[kind ?? -1] ?? 'other' });
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return { stop: () => observer.disconnect() };
}
