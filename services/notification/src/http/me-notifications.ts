import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { appError, ProblemSchema, principalOf } from '@glassbox/kit';
import type { NotificationRecord } from '../adapters/notification-repo.js';
import type { ReadNotifications } from '../app/read-notifications.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const NotificationSchema = Type.Object({
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

function view(n: NotificationRecord) {
  return {
    id: n.id,
    type: n.eventType,
    eventId: n.eventId,
    subjectId: n.subjectId,
    channel: n.channel,
    recipient: n.recipient,
    subject: n.subject,
    body: n.body,
    status: n.status,
    attempts: n.attempts,
    createdAt: n.createdAt.toISOString(),
    sentAt: n.sentAt ? n.sentAt.toISOString() : null,
  };
}

/** The caller's own notifications (`/api/v1/me/notifications`, the path the gateway exposes). */
export const meNotificationRoutes: FastifyPluginAsyncTypebox<{
  readNotifications: ReadNotifications;
}> = async (app, { readNotifications }) => {
  app.addHook('onRequest', app.authenticate);
  app.get(
    '/api/v1/me/notifications',
    {
      schema: {
        summary: 'Your notifications (the e-mails sent to you), newest first',
        security: [{ bearer: [] }],
        querystring: Type.Object(
          {
            limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
            cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            items: Type.Array(NotificationSchema),
            nextCursor: Type.Union([Type.String(), Type.Null()]),
          }),
          400: ProblemSchema,
        },
      },
    },
    async (request) => {
      const p = principalOf(request);
      if (!UUID.test(p.tenantId)) {
        throw appError('UNAUTHENTICATED', 'the access token does not name a user of a tenant');
      }
      const page = await readNotifications({ tenantId: p.tenantId, userId: p.userId }, request.query);
      return { items: page.items.map(view), nextCursor: page.nextCursor };
    },
  );
};
