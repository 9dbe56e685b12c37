import { metrics } from '@opentelemetry/api';

/** Business metrics of flash sales (OpenTelemetry API only; the kit's SDK exports them). */
export interface FlashSaleMetrics {
  /** One admission decision and how long it took (the engine's part of the purchase request). */
  admission(outcome: string, seconds: number): void;
  released(units: number): void;
  observeQueueDepth(read: () => number): void;
  /** The oversell check, read at each collection: units held by purchases beyond their sale's quantity. */
  observeOversold(read: () => Promise<number>): void;
}

export function createFlashSaleMetrics(mode: 'redis' | 'embedded'): FlashSaleMetrics {
  const meter = metrics.getMeter('glassbox.flash-sale');
  const attempts = meter.createCounter('glassbox.flash_sale.attempts', {
    description: 'Purchase attempts decided by admission, by outcome (ACCEPTED, SOLD_OUT, LIMIT_REACHED, …)',
    unit: '{attempt}',
  });
  const latency = meter.createHistogram('glassbox.flash_sale.admission.duration', {
    description: 'Time admission took to decide an attempt, durable write included',
    unit: 's',
    advice: { explicitBucketBoundaries: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1] },
  });
  const released = meter.createCounter('glassbox.flash_sale.units.released', {
    description: 'Units given back to their sale by failed or unpaid purchases',
    unit: '{item}',
  });
  const depth = meter.createObservableGauge('glassbox.flash_sale.queue.depth', {
    description:
      'Accepted purchases waiting for their durable write (embedded) or for persistence (connected)',
    unit: '{purchase}',
  });
  const oversold = meter.createObservableGauge('glassbox.flash_sale.units.oversold', {
    description:
      'Units held by purchases that are not released beyond their sale’s quantity, summed over the sales of ' +
      'the last day, from the durable purchases (not from admission’s own counters): must always be 0',
    unit: '{item}',
  });
  return {
    admission(outcome, seconds) {
      const attributes = { 'glassbox.outcome': outcome, 'glassbox.admission.mode': mode };
      attempts.add(1, attributes);
      latency.record(seconds, attributes);
    },
    released: (units) => released.add(units),
    observeQueueDepth(read) {
      depth.addCallback((result) => result.observe(read(), { 'glassbox.admission.mode': mode }));
    },
    observeOversold(read) {
      oversold.addCallback(async (result) => result.observe(await read()));
    },
  };
}
