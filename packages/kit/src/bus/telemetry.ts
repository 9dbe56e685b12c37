/**
 * The bus's spans and metrics, the same for both adapters (OpenTelemetry messaging conventions):
 * - `send <type>` (CLIENT, one per published batch, linked to each event's create span) and
 *   `process <type>` (CONSUMER, child of the event's create span through its `traceparent`);
 * - `messaging.client.sent.messages` (published), `messaging.client.consumed.messages` (delivered),
 *   `messaging.process.duration`, and `glassbox.bus.redelivered`, `glassbox.bus.dead_lettered` (with
 *   `glassbox.bus.reason`) and `glassbox.bus.lag` (seconds from the event's `time` to its processing).
 */
import type { CloudEvent } from '@glassbox/contracts';
import {
  type Attributes,
  type Link,
  metrics,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions';
import {
  ATTR_CLOUDEVENTS_EVENT_ID,
  ATTR_CLOUDEVENTS_EVENT_SOURCE,
  ATTR_CLOUDEVENTS_EVENT_SPEC_VERSION,
  ATTR_CLOUDEVENTS_EVENT_SUBJECT,
  ATTR_CLOUDEVENTS_EVENT_TYPE,
  ATTR_MESSAGING_BATCH_MESSAGE_COUNT,
  ATTR_MESSAGING_CONSUMER_GROUP_NAME,
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_MESSAGE_ID,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM,
  METRIC_MESSAGING_CLIENT_CONSUMED_MESSAGES,
  METRIC_MESSAGING_CLIENT_SENT_MESSAGES,
  METRIC_MESSAGING_PROCESS_DURATION,
} from './semconv.js';
import type { DeliveryInfo, MessagingSystem } from './types.js';

const MAX_LINKS = 64;
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

export type DeadLetterReason = 'invalid' | 'unprocessable' | 'attempts';

export interface BusTelemetry {
  send<T>(events: readonly CloudEvent[], fn: () => Promise<T>): Promise<T>;
  process(group: string, event: CloudEvent, delivery: DeliveryInfo, fn: () => Promise<void>): Promise<void>;
  deadLettered(group: string, type: string, reason: DeadLetterReason): void;
}

function errorType(error: unknown): string {
  return error instanceof Error ? error.name : '_OTHER';
}

/** The remote span context an event carries, if any. */
function carried(event: CloudEvent) {
  const ctx = propagation.extract(ROOT_CONTEXT, {
    traceparent: event.traceparent,
    tracestate: event.tracestate,
  });
  return { ctx, spanContext: trace.getSpanContext(ctx) };
}

export function createBusTelemetry(system: MessagingSystem): BusTelemetry {
  const tracer = trace.getTracer('glassbox.bus');
  const meter = metrics.getMeter('glassbox.bus');
  const sent = meter.createCounter(METRIC_MESSAGING_CLIENT_SENT_MESSAGES, {
    description: 'Events published to the bus',
    unit: '{message}',
  });
  const consumed = meter.createCounter(METRIC_MESSAGING_CLIENT_CONSUMED_MESSAGES, {
    description: 'Events delivered to consumers',
    unit: '{message}',
  });
  const processDuration = meter.createHistogram(METRIC_MESSAGING_PROCESS_DURATION, {
    description: 'Time consumers took to process an event',
    unit: 's',
    advice: { explicitBucketBoundaries: DURATION_BUCKETS },
  });
  const redelivered = meter.createCounter('glassbox.bus.redelivered', {
    description: 'Events delivered again (a retry, or a redelivery after a crash or reconnect)',
    unit: '{message}',
  });
  const deadLettered = meter.createCounter('glassbox.bus.dead_lettered', {
    description: 'Events moved to a dead-letter queue, by reason (invalid, unprocessable, attempts)',
    unit: '{message}',
  });
  const lag = meter.createHistogram('glassbox.bus.lag', {
    description: 'Time from an event’s creation to the start of its processing',
    unit: 's',
    advice: { explicitBucketBoundaries: [0.001, ...DURATION_BUCKETS, 30, 60, 300] },
  });

  return {
    async send(events, fn) {
      const types = [...new Set(events.map((e) => e.type))];
      const destination = types.length === 1 ? (types[0] ?? 'events') : 'events';
      const links: Link[] = [];
      for (const event of events.slice(0, MAX_LINKS)) {
        const { spanContext } = carried(event);
        if (spanContext) links.push({ context: spanContext });
      }
      const attributes: Attributes = {
        [ATTR_MESSAGING_SYSTEM]: system,
        [ATTR_MESSAGING_OPERATION_TYPE]: 'send',
        [ATTR_MESSAGING_OPERATION_NAME]: 'send',
        [ATTR_MESSAGING_DESTINATION_NAME]: destination,
      };
      return tracer.startActiveSpan(
        `send ${destination}`,
        {
          kind: SpanKind.CLIENT,
          links,
          attributes: { ...attributes, [ATTR_MESSAGING_BATCH_MESSAGE_COUNT]: events.length },
        },
        async (span) => {
          try {
            const result = await fn();
            for (const type of types) {
              const n = events.filter((e) => e.type === type).length;
              sent.add(n, { ...attributes, [ATTR_MESSAGING_DESTINATION_NAME]: type });
            }
            return result;
          } catch (error) {
            for (const type of types) {
              const n = events.filter((e) => e.type === type).length;
              sent.add(n, {
                ...attributes,
                [ATTR_MESSAGING_DESTINATION_NAME]: type,
                [ATTR_ERROR_TYPE]: errorType(error),
              });
            }
            span.recordException(error as Error);
            span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
            throw error;
          } finally {
            span.end();
          }
        },
      );
    },

    async process(group, event, delivery, fn) {
      const attributes: Attributes = {
        [ATTR_MESSAGING_SYSTEM]: system,
        [ATTR_MESSAGING_OPERATION_TYPE]: 'process',
        [ATTR_MESSAGING_OPERATION_NAME]: 'process',
        [ATTR_MESSAGING_DESTINATION_NAME]: event.type,
        [ATTR_MESSAGING_CONSUMER_GROUP_NAME]: group,
      };
      consumed.add(1, attributes);
      if (delivery.redelivered) redelivered.add(1, attributes);
      const created = event.time ? Date.parse(event.time) : Number.NaN;
      if (Number.isFinite(created)) lag.record(Math.max(0, Date.now() - created) / 1000, attributes);
      const { ctx, spanContext } = carried(event);
      const started = performance.now();
      await tracer.startActiveSpan(
        `process ${event.type}`,
        {
          kind: SpanKind.CONSUMER,
          // A child of the create span (the trace goes on), and a link too, as the conventions ask.
          links: spanContext ? [{ context: spanContext }] : [],
          attributes: {
            ...attributes,
            [ATTR_MESSAGING_MESSAGE_ID]: event.id,
            [ATTR_CLOUDEVENTS_EVENT_ID]: event.id,
            [ATTR_CLOUDEVENTS_EVENT_SOURCE]: event.source,
            [ATTR_CLOUDEVENTS_EVENT_SPEC_VERSION]: event.specversion,
            [ATTR_CLOUDEVENTS_EVENT_TYPE]: event.type,
            ...(event.subject ? { [ATTR_CLOUDEVENTS_EVENT_SUBJECT]: event.subject } : {}),
            'glassbox.bus.attempt': delivery.attempt,
          },
        },
        spanContext ? ctx : ROOT_CONTEXT,
        async (span) => {
          try {
            await fn();
            processDuration.record((performance.now() - started) / 1000, attributes);
          } catch (error) {
            processDuration.record((performance.now() - started) / 1000, {
              ...attributes,
              [ATTR_ERROR_TYPE]: errorType(error),
            });
            span.recordException(error as Error);
            span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
            throw error;
          } finally {
            span.end();
          }
        },
      );
    },

    deadLettered(group, type, reason) {
      deadLettered.add(1, {
        [ATTR_MESSAGING_SYSTEM]: system,
        [ATTR_MESSAGING_DESTINATION_NAME]: type,
        [ATTR_MESSAGING_CONSUMER_GROUP_NAME]: group,
        'glassbox.bus.reason': reason,
      });
    },
  };
}
