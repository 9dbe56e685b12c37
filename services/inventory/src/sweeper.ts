import type { Logger } from '@glassbox/kit';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { InventoryStore } from './adapters/inventory-store.js';

export interface ExpirySweeper {
  /** Runs one pass now (also what the timer runs); resolves with how many reservations expired. */
  sweep(): Promise<number>;
  start(): void;
  stop(): Promise<void>;
}

/**
 * Releases expired reservations every `intervalMs`. Passes never overlap; a failing pass (database down) is
 * logged and the next one tries again. Safe with several replicas: each reservation is claimed with
 * FOR UPDATE SKIP LOCKED.
 */
export function createExpirySweeper(
  store: InventoryStore,
  logger: Logger,
  intervalMs: number,
): ExpirySweeper {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;

  const tracer = trace.getTracer('glassbox.inventory');
  // One span per pass, so the pass's queries form one trace instead of a scatter of root spans.
  const pass = () =>
    tracer.startActiveSpan('inventory.reservations.expire', { kind: SpanKind.INTERNAL }, async (span) => {
      try {
        const expired = await store.expireDue();
        span.setAttribute('glassbox.reservations.expired', expired);
        if (expired > 0) logger.info({ expired }, 'expired reservations released');
        return expired;
      } catch (error) {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR });
        throw error;
      } finally {
        span.end();
      }
    });

  const sweep = () => {
    running ??= pass().finally(() => {
      running = undefined;
    });
    return running;
  };

  return {
    sweep,
    start() {
      if (intervalMs <= 0 || timer) return;
      timer = setInterval(() => {
        sweep().catch((error: unknown) => logger.warn({ err: error }, 'reservation expiry sweep failed'));
      }, intervalMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await running?.catch(() => 0);
    },
  };
}
