import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { StockLevel, StockProductParams } from '@glassbox/contracts';
import { type Attributes, trace } from '@opentelemetry/api';
import { Type } from 'typebox';
import type { Stock } from '../app/stock.js';
import { ProductId, problems, tenantOf } from './schemas.js';

export interface InternalRoutesOptions {
  stock: Stock;
}

/** 90 days: a flash sale's reservation holds its quantity until the sale ends, which may be weeks away. */
const MAX_TTL_SECONDS = 7_776_000;

const ReservationId = Type.String({
  minLength: 1,
  maxLength: 128,
  pattern: '^[A-Za-z0-9._:-]+$',
  description: 'chosen by the caller; the same id again answers the same reservation',
});

const Item = Type.Object(
  { productId: ProductId, quantity: Type.Integer({ minimum: 1, maximum: 1_000_000 }) },
  { additionalProperties: false },
);

const ReserveBody = Type.Object(
  {
    reservationId: ReservationId,
    orderId: Type.String({ minLength: 1, maxLength: 128 }),
    items: Type.Array(Item, { minItems: 1, maxItems: 100 }),
    ttlSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_TTL_SECONDS })),
  },
  { additionalProperties: false },
);

const Status = Type.Union([
  Type.Literal('RESERVED'),
  Type.Literal('COMMITTED'),
  Type.Literal('RELEASED'),
  Type.Literal('EXPIRED'),
]);

const Reservation = Type.Object({
  reservationId: Type.String(),
  orderId: Type.String(),
  status: Status,
  expiresAt: Type.String({ format: 'date-time' }),
  items: Type.Array(Type.Object({ productId: Type.String(), quantity: Type.Integer() })),
});

const IdParams = Type.Object({ id: ReservationId });

/**
 * Service-to-service routes (the order saga): reserve, commit, release, read. Authenticated by the internal
 * token before anything else runs; the tenant comes from the x-tenant-id header.
 */
export const internalRoutes: FastifyPluginAsyncTypebox<InternalRoutesOptions> = async (app, options) => {
  const { stock } = options;
  const tags = ['internal'];

  app.post(
    '/internal/reservations',
    {
      onRequest: app.internalOnly,
      schema: {
        tags,
        summary: 'Hold stock for an order, all or nothing (idempotent on reservationId)',
        body: ReserveBody,
        response: { 200: Reservation, 201: Reservation, ...problems(400, 401, 409, 422) },
      },
    },
    async (request, reply) => {
      const tenantId = tenantOf(request);
      const body = request.body;
      annotate({ 'glassbox.reservation.id': body.reservationId, 'glassbox.order.id': body.orderId });
      const { created, reservation } = await stock.reserve(tenantId, {
        reservationId: body.reservationId,
        orderId: body.orderId,
        items: body.items,
        ttlSeconds: body.ttlSeconds,
      });
      request.log.info(
        { reservation_id: reservation.reservationId, order_id: reservation.orderId, created },
        created ? 'stock reserved' : 'reservation repeated',
      );
      return reply.code(created ? 201 : 200).send(reservation);
    },
  );

  app.get(
    '/internal/reservations/:id',
    {
      onRequest: app.internalOnly,
      schema: {
        tags,
        summary: 'Read a reservation',
        params: IdParams,
        response: { 200: Reservation, ...problems(401, 404) },
      },
    },
    async (request) => {
      return stock.reservation(tenantOf(request), request.params.id);
    },
  );

  app.post(
    '/internal/reservations/:id/commit',
    {
      onRequest: app.internalOnly,
      schema: {
        tags,
        summary: 'Take the reserved stock off hand (idempotent)',
        description:
          'Without a body, every unit held is taken off hand. With `items`, exactly those quantities are taken ' +
          '(0 up to what is held) and the rest of the hold is given back: how a flash sale settles what it sold.',
        params: IdParams,
        body: Type.Union([
          Type.Null(),
          Type.Object(
            {
              items: Type.Array(
                Type.Object(
                  { productId: ProductId, quantity: Type.Integer({ minimum: 0, maximum: 1_000_000 }) },
                  { additionalProperties: false },
                ),
                { maxItems: 100 },
              ),
            },
            { additionalProperties: false },
          ),
        ]),
        response: {
          200: Type.Object({
            reservationId: Type.String(),
            status: Type.Literal('COMMITTED'),
            items: Type.Array(Type.Object({ productId: Type.String(), quantity: Type.Integer() }), {
              description: 'what the commit took off hand, per product',
            }),
          }),
          ...problems(400, 401, 404, 409),
        },
      },
    },
    async (request) => {
      annotate({ 'glassbox.reservation.id': request.params.id });
      const take = request.body?.items;
      const result = await stock.commit(tenantOf(request), request.params.id, take);
      request.log.info(
        { reservation_id: request.params.id, units: result.items.reduce((n, i) => n + i.quantity, 0) },
        'reservation committed',
      );
      return result;
    },
  );

  app.post(
    '/internal/reservations/:id/release',
    {
      onRequest: app.internalOnly,
      schema: {
        tags,
        summary: 'Give the stock back (idempotent; a no-op on unknown, released or expired reservations)',
        params: IdParams,
        response: {
          200: Type.Object({ reservationId: Type.String(), status: Type.Literal('RELEASED') }),
          ...problems(401),
        },
      },
    },
    async (request) => {
      annotate({ 'glassbox.reservation.id': request.params.id });
      const result = await stock.release(tenantOf(request), request.params.id);
      request.log.info({ reservation_id: request.params.id }, 'reservation released');
      return result;
    },
  );

  app.get(
    '/internal/stock/:productId',
    {
      onRequest: app.internalOnly,
      schema: {
        tags,
        summary: 'Stock of one product',
        params: StockProductParams,
        response: { 200: StockLevel, ...problems(401, 404) },
      },
    },
    async (request) => {
      return stock.level(tenantOf(request), request.params.productId);
    },
  );
};

/** Puts the reservation and order ids on the server span, so a trace search by either finds the request. */
function annotate(attributes: Attributes): void {
  trace.getActiveSpan()?.setAttributes(attributes);
}
