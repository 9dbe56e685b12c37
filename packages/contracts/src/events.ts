/**
 * The events services exchange over the bus: CloudEvents 1.0 envelopes (structured mode, JSON) whose `data`
 * follows one TypeBox schema per `type`. Producers validate before the event leaves their transaction and
 * consumers validate on receipt (the kit's bus does both), so a schema here is the whole contract: adding an
 * optional member is compatible, anything else is a new type (`order.confirmed.v2`).
 *
 * Every payload names its tenant: consumers scope what they write by it, as routes scope by the token's.
 *
 * Envelope attributes (https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/spec.md): `specversion`
 * "1.0", `id` (a UUID, unique per source; consumers' inboxes key on it), `source` (`/glassbox/<service>`),
 * `type`, `time`, `datacontenttype` "application/json", `subject` (the entity's id), and the
 * distributed-tracing extension's `traceparent`/`tracestate` (W3C trace context of the span that created the
 * event).
 */
import { type Static, type TSchema, Type } from 'typebox';

const Uuid = Type.String({ format: 'uuid' });
const TenantId = Uuid;
const Cents = Type.Integer({ minimum: 0 });
const Currency = Type.String({ pattern: '^[A-Z]{3}$' });
const Timestamp = Type.String({ format: 'date-time' });

export const UserRegistered = Type.Object(
  {
    tenantId: TenantId,
    userId: Uuid,
    email: Type.String({ format: 'email', maxLength: 254 }),
    name: Type.String({ minLength: 1, maxLength: 200 }),
  },
  { additionalProperties: false },
);

const OrderLine = Type.Object({
  productId: Type.String({ minLength: 1 }),
  quantity: Type.Integer({ minimum: 1 }),
  name: Type.Optional(Type.String()),
  unitPriceCents: Type.Optional(Cents),
});

export const OrderConfirmed = Type.Object(
  {
    tenantId: TenantId,
    orderId: Uuid,
    userId: Type.String({ minLength: 1 }),
    totalCents: Cents,
    currency: Currency,
    items: Type.Array(OrderLine, { minItems: 1 }),
    confirmedAt: Timestamp,
  },
  { additionalProperties: false },
);

export const OrderFailed = Type.Object(
  {
    tenantId: TenantId,
    orderId: Uuid,
    userId: Type.String({ minLength: 1 }),
    /** OUT_OF_STOCK, PAYMENT_DECLINED, RESERVATION_EXPIRED, DEPENDENCY_UNAVAILABLE, … */
    reason: Type.String({ minLength: 1 }),
    detail: Type.Optional(Type.String()),
    failedAt: Timestamp,
  },
  { additionalProperties: false },
);

export const OrderCancelled = Type.Object(
  {
    tenantId: TenantId,
    orderId: Uuid,
    userId: Type.String({ minLength: 1 }),
    cancelledAt: Timestamp,
  },
  { additionalProperties: false },
);

export const PaymentCaptured = Type.Object(
  {
    tenantId: TenantId,
    paymentId: Uuid,
    orderId: Uuid,
    amountCents: Cents,
    currency: Currency,
    capturedAt: Timestamp,
  },
  { additionalProperties: false },
);

export const PaymentRefunded = Type.Object(
  {
    tenantId: TenantId,
    paymentId: Uuid,
    orderId: Uuid,
    refundId: Uuid,
    amountCents: Cents,
    currency: Currency,
    refundedAt: Timestamp,
  },
  { additionalProperties: false },
);

/**
 * A flash-sale purchase was admitted and is durable. The order service turns it into an order (id =
 * `purchaseId`) at `unitPriceCents`, against the sale's inventory reservation `reservationId` (no second stock
 * check), and runs its payment; a purchase not paid by `payBy` gives its units back to the sale. The event
 * carries the purchase request's trace context, so the order joins the purchase's trace.
 */
export const FlashPurchaseAccepted = Type.Object(
  {
    tenantId: TenantId,
    purchaseId: Uuid,
    saleId: Uuid,
    userId: Type.String({ minLength: 1 }),
    productId: Uuid,
    quantity: Type.Integer({ minimum: 1 }),
    unitPriceCents: Cents,
    reservationId: Type.String({ minLength: 1, maxLength: 128 }),
    payment: Type.Object(
      { method: Type.Literal('card'), token: Type.String({ minLength: 1, maxLength: 200 }) },
      { additionalProperties: false },
    ),
    acceptedAt: Timestamp,
    payBy: Timestamp,
  },
  { additionalProperties: false },
);

/**
 * The order service made the order of a flash-sale purchase (its id is `orderId`, the purchase id): the purchase is
 * `ORDERED` until the order's `order.confirmed` / `order.failed` settles it.
 */
export const FlashPurchaseOrdered = Type.Object(
  {
    tenantId: TenantId,
    purchaseId: Uuid,
    orderId: Uuid,
    orderedAt: Timestamp,
  },
  { additionalProperties: false },
);

/** Every event type and the schema of its `data`. */
export const EventSchemas = {
  'user.registered': UserRegistered,
  'order.confirmed': OrderConfirmed,
  'order.failed': OrderFailed,
  'order.cancelled': OrderCancelled,
  'payment.captured': PaymentCaptured,
  'payment.refunded': PaymentRefunded,
  'flash.purchase.accepted': FlashPurchaseAccepted,
  'flash.purchase.ordered': FlashPurchaseOrdered,
} as const satisfies Record<string, TSchema>;

export type EventType = keyof typeof EventSchemas;
export type EventData<T extends EventType> = Static<(typeof EventSchemas)[T]>;
export const EVENT_TYPES = Object.keys(EventSchemas) as EventType[];

/** The CloudEvents 1.0 envelope as it travels (structured mode), `data` left open: each type checks its own. */
export const CloudEventEnvelope = Type.Object({
  specversion: Type.Literal('1.0'),
  id: Type.String({ minLength: 1, maxLength: 200 }),
  source: Type.String({ minLength: 1, format: 'uri-reference' }),
  type: Type.String({ minLength: 1 }),
  time: Type.Optional(Timestamp),
  datacontenttype: Type.Optional(Type.Literal('application/json')),
  subject: Type.Optional(Type.String({ minLength: 1 })),
  traceparent: Type.Optional(Type.String({ pattern: '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$' })),
  tracestate: Type.Optional(Type.String()),
  data: Type.Unknown(),
});

/** A CloudEvent whose `data` is typed by its `type`. */
export interface CloudEvent<T extends string = string, D = unknown> {
  specversion: '1.0';
  id: string;
  source: string;
  type: T;
  time?: string;
  datacontenttype?: 'application/json';
  subject?: string;
  traceparent?: string;
  tracestate?: string;
  data: D;
}

export type GlassboxEvent<T extends EventType = EventType> = {
  [K in T]: CloudEvent<K, EventData<K>>;
}[T];
