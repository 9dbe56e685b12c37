/**
 * The notification service's public API (at the gateway's path; an access token):
 *
 * GET /api/v1/me/notifications?limit=&cursor=  → 200 NotificationPage: the e-mails sent to the caller about
 *                                                their orders and payments, newest first
 *
 * The schemas are what the route validates and serializes with; the types are derived from them.
 */
import { type Static, Type } from 'typebox';

export const NotificationView = Type.Object({
  id: Type.String({ format: 'uuid' }),
  type: Type.String({ description: 'The event it announces: order.confirmed, payment.refunded, …' }),
  eventId: Type.String(),
  subjectId: Type.Union([Type.String(), Type.Null()], { description: 'The order or payment it is about' }),
  channel: Type.Literal('email'),
  recipient: Type.String(),
  subject: Type.String(),
  body: Type.String(),
  status: Type.Union([Type.Literal('PENDING'), Type.Literal('SENT'), Type.Literal('FAILED')]),
  attempts: Type.Integer(),
  createdAt: Type.String({ format: 'date-time' }),
  sentAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
export type NotificationView = Static<typeof NotificationView>;

export const NotificationListQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
);
export type NotificationListQuery = Static<typeof NotificationListQuery>;

export const NotificationPage = Type.Object({
  items: Type.Array(NotificationView),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});
export type NotificationPage = Static<typeof NotificationPage>;
