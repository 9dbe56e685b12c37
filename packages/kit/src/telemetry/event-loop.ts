/**
 * Event-loop delay of the process, as the OpenTelemetry Node.js runtime conventions name it
 * (`nodejs.eventloop.delay.p99` and `.max`, seconds): a CPU-bound or blocked process answers late whatever its
 * code does, and the EventLoopLag alerts watch this. Measured with `perf_hooks.monitorEventLoopDelay` over
 * fixed windows, so every reader (the /metrics scrape, the OTLP push) sees the same last complete window.
 *
 * And its utilization (`nodejs.eventloop.utilization`, 0–1, `performance.eventLoopUtilization` over the same
 * windows): the share of the time the loop was running code rather than waiting. Near 1 the process's one
 * JavaScript thread is saturated — busy on CPU work (or starved of the CPU it asks for: the share is of wall
 * time, so it shows a CPU-bound process on a crowded machine too, where its CPU seconds cannot) — and every
 * request queues behind it. The EventLoopSaturated alert watches it.
 *
 * The delay is sampled every `DELAY_SAMPLE_MS` (10 ms). Each sample is a timer that wakes the process — 100
 * wake-ups a second cost an idle process 4–5 ms of CPU a second (measured: 5.3 ms/s against 0.6 without the
 * monitor) — but one stall makes one late sample whatever the period, so p99 means something only over many
 * samples: at 50 ms a 5 s window held 100, p99 became the window's worst tick, and a single GC pause or CPU
 * starvation on a busy machine fired EventLoopLagHigh (seen in CI's drills). At 10 ms p99 needs five stalls in a
 * window. Node records each sample as the whole time between two ticks (at least the period), so the period
 * is subtracted: what is reported is how late the loop was, 0 for an idle one.
 */
import { type EventLoopUtilization, monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { Meter } from '@opentelemetry/api';

export interface EventLoopMetrics {
  stop(): void;
}

/** How often the event-loop delay is sampled (ms). */
export const DELAY_SAMPLE_MS = 10;

/** How late a tick came, in seconds, from Node's sample (ns since the previous tick, the period included). */
export function lateSeconds(sampleNs: number): number {
  return Number.isFinite(sampleNs) ? Math.max(0, sampleNs - DELAY_SAMPLE_MS * 1e6) / 1e9 : 0;
}

export function recordEventLoopDelay(meter: Meter, windowMs = 5_000): EventLoopMetrics {
  const histogram = monitorEventLoopDelay({ resolution: DELAY_SAMPLE_MS });
  histogram.enable();
  let last: { p99: number; max: number; utilization: number } | undefined;
  let windowStart: EventLoopUtilization = performance.eventLoopUtilization();
  const current = () => ({
    p99: lateSeconds(histogram.percentile(99)),
    max: lateSeconds(histogram.max),
    utilization: performance.eventLoopUtilization(windowStart).utilization,
  });
  const timer = setInterval(() => {
    last = current();
    histogram.reset();
    windowStart = performance.eventLoopUtilization();
  }, windowMs);
  timer.unref();
  const p99 = meter.createObservableGauge('nodejs.eventloop.delay.p99', {
    description: 'Event loop delay, 99th percentile over the last window',
    unit: 's',
  });
  const max = meter.createObservableGauge('nodejs.eventloop.delay.max', {
    description: 'Event loop delay, maximum over the last window',
    unit: 's',
  });
  const utilization = meter.createObservableGauge('nodejs.eventloop.utilization', {
    description: 'Share of the last window the event loop spent running code (0–1) rather than idle',
    unit: '1',
  });
  p99.addCallback((result) => result.observe((last ?? current()).p99));
  utilization.addCallback((result) => result.observe((last ?? current()).utilization));
  max.addCallback((result) => result.observe((last ?? current()).max));
  return {
    stop() {
      clearInterval(timer);
      histogram.disable();
    },
  };
}
