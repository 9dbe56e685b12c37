/**
 * CPU time of the process, as the OpenTelemetry process conventions name it: `process.cpu.time` (seconds, a
 * counter per `cpu.mode`, user and system), read from `process.cpuUsage()` at every collection. Its rate is
 * the share of one core the process takes: the ProcessCpuSaturated alert watches it (a Node.js process runs
 * its JavaScript on one thread, so one core is all it can have, and at one core every request queues behind
 * the work in front of it). The names are the incubating conventions' (semantic-conventions 1.45), copied
 * here as the OpenTelemetry JS guidelines recommend.
 */
import type { Meter } from '@opentelemetry/api';

export const METRIC_PROCESS_CPU_TIME = 'process.cpu.time';
export const ATTR_CPU_MODE = 'cpu.mode';

export function recordProcessCpu(meter: Meter): void {
  const cpuTime = meter.createObservableCounter(METRIC_PROCESS_CPU_TIME, {
    description: 'CPU time the process used, per mode (user, system)',
    unit: 's',
  });
  cpuTime.addCallback((result) => {
    const usage = process.cpuUsage();
    result.observe(usage.user / 1e6, { [ATTR_CPU_MODE]: 'user' });
    result.observe(usage.system / 1e6, { [ATTR_CPU_MODE]: 'system' });
  });
}
