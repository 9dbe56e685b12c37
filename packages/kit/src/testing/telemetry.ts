/**
 * An in-memory OpenTelemetry SDK for tests that assert on spans and metrics (STYLE §7: tests read what the SDK
 * recorded, not what the code meant to record). Registers global tracer, meter and context managers; `reset()`
 * forgets what was recorded, `shutdown()` unregisters everything.
 */
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { type DataPoint, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';

class CollectingReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

export interface CapturedTelemetry {
  spans(): ReadableSpan[];
  /** Every data point of the metric `name` (summed over scopes), with its attributes. */
  points(name: string): Promise<DataPoint<unknown>[]>;
  /** The sum of a counter's points whose attributes include `where`. */
  sum(name: string, where?: Record<string, unknown>): Promise<number>;
  reset(): void;
  shutdown(): Promise<void>;
}

export function captureTelemetry(): CapturedTelemetry {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const reader = new CollectingReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());

  async function points(name: string): Promise<DataPoint<unknown>[]> {
    const { resourceMetrics } = await reader.collect();
    return resourceMetrics.scopeMetrics.flatMap((s) =>
      s.metrics
        .filter((m) => m.descriptor.name === name)
        .flatMap((m) => m.dataPoints as DataPoint<unknown>[]),
    );
  }

  return {
    spans: () => exporter.getFinishedSpans(),
    points,
    async sum(name, where = {}) {
      let total = 0;
      for (const p of await points(name)) {
        const matches = Object.entries(where).every(([k, v]) => p.attributes[k] === v);
        if (matches && typeof p.value === 'number') total += p.value;
      }
      return total;
    },
    reset: () => exporter.reset(),
    async shutdown() {
      await Promise.allSettled([tracerProvider.shutdown(), meterProvider.shutdown()]);
      trace.disable();
      metrics.disable();
      context.disable();
      propagation.disable();
    },
  };
}
