/**
 * Making and checking CloudEvents. `createEvent` builds the envelope for an event about to be published and
 * records its "create" span (OpenTelemetry messaging conventions), whose context travels in the event as the
 * CloudEvents distributed-tracing extension (`traceparent`/`tracestate`): the consumer's span continues that
 * trace, so an order's confirmation e-mail shows up in the checkout's trace. The catalogue validates the
 * envelope and the `data` of each type against the TypeBox schemas of @glassbox/contracts (compiled once).
 */
import { randomUUID } from 'node:crypto';
import {
  type CloudEvent,
  CloudEventEnvelope,
  type EventData,
  EventSchemas,
  type EventType,
  type GlassboxEvent,
} from '@glassbox/contracts';
import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import type { TSchema } from 'typebox';
import { Compile, type Validator } from 'typebox/compile';
import {
  ATTR_CLOUDEVENTS_EVENT_ID,
  ATTR_CLOUDEVENTS_EVENT_SOURCE,
  ATTR_CLOUDEVENTS_EVENT_SPEC_VERSION,
  ATTR_CLOUDEVENTS_EVENT_SUBJECT,
  ATTR_CLOUDEVENTS_EVENT_TYPE,
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_MESSAGE_ID,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
} from './semconv.js';
import { UnprocessableEvent } from './types.js';

export type CheckResult = { ok: true; event: CloudEvent } | { ok: false; reason: string };

export interface EventCatalog {
  /** The value as a CloudEvent when its envelope and its type's data are valid; else the reason, naming the fields. */
  check(value: unknown): CheckResult;
  readonly types: readonly string[];
}

function describe(validator: Validator, value: unknown, prefix: string): string {
  const errors = [...validator.Errors(value)].slice(0, 5);
  return errors.map((e) => `${prefix}${e.instancePath || '/'} ${e.message}`).join('; ');
}

/** A catalogue of event types and their data schemas; the contracts' events by default. */
export function createEventCatalog(schemas: Record<string, TSchema> = EventSchemas): EventCatalog {
  const envelope = Compile(CloudEventEnvelope);
  const data = new Map(Object.entries(schemas).map(([type, schema]) => [type, Compile(schema)]));
  return {
    types: [...data.keys()],
    check(value) {
      if (!envelope.Check(value)) {
        return { ok: false, reason: `not a CloudEvent 1.0: ${describe(envelope, value, '')}` };
      }
      const event = value as CloudEvent;
      const validator = data.get(event.type);
      if (!validator) return { ok: false, reason: `unknown event type ${JSON.stringify(event.type)}` };
      if (!validator.Check(event.data)) {
        return {
          ok: false,
          reason: `invalid ${event.type} data: ${describe(validator, event.data, '/data')}`,
        };
      }
      return { ok: true, event };
    },
  };
}

export interface CreateEventOptions {
  /** The producing service: the event's `source` becomes `/glassbox/<source>`. */
  source: string;
  /** The entity the event is about (an order id …). */
  subject?: string;
  id?: string;
  time?: Date;
}

/**
 * A new CloudEvent of `type` carrying `data`, with a fresh id and the trace context of its "create" span
 * (a PRODUCER span, child of whatever span is active: the request that changed the state).
 */
export function createEvent<T extends EventType>(
  type: T,
  data: EventData<T>,
  options: CreateEventOptions,
): GlassboxEvent<T>;
export function createEvent(type: string, data: unknown, options: CreateEventOptions): CloudEvent;
export function createEvent(type: string, data: unknown, options: CreateEventOptions): CloudEvent {
  const id = options.id ?? randomUUID();
  const source = `/glassbox/${options.source}`;
  const span = trace.getTracer('glassbox.bus').startSpan(`create ${type}`, {
    kind: SpanKind.PRODUCER,
    attributes: {
      [ATTR_MESSAGING_OPERATION_TYPE]: 'create',
      [ATTR_MESSAGING_OPERATION_NAME]: 'create',
      [ATTR_MESSAGING_DESTINATION_NAME]: type,
      [ATTR_MESSAGING_MESSAGE_ID]: id,
      [ATTR_CLOUDEVENTS_EVENT_ID]: id,
      [ATTR_CLOUDEVENTS_EVENT_SOURCE]: source,
      [ATTR_CLOUDEVENTS_EVENT_SPEC_VERSION]: '1.0',
      [ATTR_CLOUDEVENTS_EVENT_TYPE]: type,
      ...(options.subject ? { [ATTR_CLOUDEVENTS_EVENT_SUBJECT]: options.subject } : {}),
    },
  });
  const carrier: { traceparent?: string; tracestate?: string } = {};
  propagation.inject(trace.setSpan(context.active(), span), carrier);
  span.end();
  return {
    specversion: '1.0',
    id,
    source,
    type,
    time: (options.time ?? new Date()).toISOString(),
    datacontenttype: 'application/json',
    ...(options.subject ? { subject: options.subject } : {}),
    ...(carrier.traceparent ? { traceparent: carrier.traceparent } : {}),
    ...(carrier.tracestate ? { tracestate: carrier.tracestate } : {}),
    data,
  };
}

/**
 * The `data` of an event a handler received, typed by its type. The bus validated it against the type's
 * schema before the handler ran; an event of another type is a wiring mistake and is unprocessable.
 */
export function dataOf<T extends EventType>(event: CloudEvent, type: T): EventData<T> {
  if (event.type !== type) throw new UnprocessableEvent(`expected a ${type} event, got ${event.type}`);
  return event.data as EventData<T>;
}
