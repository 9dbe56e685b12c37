/**
 * Event-loop delay of the process, as the OpenTelemetry Node.js runtime conventions name it
 * (`nodejs.eventloop.delay.p99` and `.max`, seconds): a CPU-bound or blocked process answers late whatever its
 * code does, and the EventLoopLag alerts watch this. Measured with `perf_hooks.monitorEventLoopDelay` over
 * fixed windows, so every reader (the /metrics scrape, the OTLP push) sees the same last complete window.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Meter } from '@opentelemetry/api';

export interface EventLoopMetrics {
  stop(): void;
}

export function recordEventLoopDelay(meter: Meter, windowMs = 5_000): EventLoopMetrics {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  let last: { p99: number; max: number } | undefined;
  const seconds = (ns: number) => (Number.isFinite(ns) ? ns / 1e9 : 0);
  const current = () => ({ p99: seconds(histogram.percentile(99)), max: seconds(histogram.max) });
  const timer = setInterval(() => {
    last = current();
    histogram.reset();
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
  p99.addCallback((result) => result.observe((last ?? current()).p99));
  max.addCallback((result) => result.observe((last ?? current()).max));
  return {
    stop() {
      clearInterval(timer);
      histogram.disable();
    },
  };
}
