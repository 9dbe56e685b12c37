/**
 * Resident memory of the process, as the OpenTelemetry process conventions name it: `process.memory.usage`
 * (bytes, an UpDownCounter), the physical memory in use — the resident set size. It sees what the V8 heap
 * metrics do not: Buffers, native allocations, code. Prometheus reads it as the gauge `process_memory_usage`
 * (on every service's /metrics, and in the observatory from OTLP), and the ProcessMemoryGrowing alert watches it
 * (cli/src/slo/classic-alerts.ts).
 */
import type { Meter } from '@opentelemetry/api';

export function recordProcessMemory(meter: Meter): void {
  const usage = meter.createObservableUpDownCounter('process.memory.usage', {
    description: 'The amount of physical memory in use (resident set size)',
    unit: 'By',
  });
  usage.addCallback((result) => result.observe(process.memoryUsage.rss()));
}
