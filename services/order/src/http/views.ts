import type { OrderView } from '@glassbox/contracts';
import { CANCELLED } from '@glassbox/kit/saga/runner';
import { Type } from 'typebox';
import type { OrderRecord } from '../adapters/order-repo.js';
import { CLIENT_FAILURES } from '../domain/checkout.js';

/**
 * Failure reasons about the order itself, whose detail the customer may read. Any other (a dependency down or
 * refusing, a broken saga) is the shop's problem: its detail quotes internal answers ("payment answered 400:
 * body/amountCents …"), kept in the saga's log line and the database, and the customer reads `INTERNAL_FAILURE`.
 */
const CUSTOMER_REASONS = new Set([
  ...CLIENT_FAILURES,
  'OUT_OF_STOCK',
  'PAYMENT_DECLINED',
  'RESERVATION_EXPIRED',
  CANCELLED,
]);
const INTERNAL_FAILURE = 'the order could not be completed because of a problem on our side';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);

export const OrderStatusSchema = Type.Union([
  Type.Literal('PENDING'),
  Type.Literal('CONFIRMED'),
  Type.Literal('CANCELLED'),
  Type.Literal('FAILED'),
]);

export const OrderSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  status: OrderStatusSchema,
  items: Type.Array(
    Type.Object({
      productId: Type.String({ format: 'uuid' }),
      quantity: Type.Integer(),
      sku: Nullable(Type.String()),
      name: Nullable(Type.String()),
      unitPriceCents: Nullable(Type.Integer()),
      lineTotalCents: Nullable(Type.Integer()),
    }),
  ),
  totalCents: Nullable(Type.Integer()),
  currency: Nullable(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  failureReason: Type.Optional(Type.String()),
  failureDetail: Type.Optional(Type.String()),
});

export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.String(),
    detail: Type.Optional(Type.String()),
    traceId: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);

export function orderView(o: OrderRecord): OrderView {
  return {
    id: o.id,
    status: o.status,
    items: o.items.map((i) => ({
      productId: i.productId,
      quantity: i.quantity,
      sku: i.sku,
      name: i.name,
      unitPriceCents: i.unitPriceCents,
      lineTotalCents: i.lineTotalCents,
    })),
    totalCents: o.totalCents,
    currency: o.currency,
    createdAt: o.createdAt.toISOString(),
    updatedAt: o.updatedAt.toISOString(),
    ...(o.failureReason ? { failureReason: o.failureReason } : {}),
    ...(o.failureDetail
      ? {
          failureDetail:
            o.failureReason && CUSTOMER_REASONS.has(o.failureReason) ? o.failureDetail : INTERNAL_FAILURE,
        }
      : {}),
  };
}
