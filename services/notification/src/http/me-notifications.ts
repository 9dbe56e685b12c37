import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { NotificationListQuery, NotificationPage, type NotificationView } from '@glassbox/contracts';
import { appError, ProblemSchema, principalOf } from '@glassbox/kit';
import type { NotificationRecord } from '../adapters/notification-repo.js';
import type { ReadNotifications } from '../app/read-notifications.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function view(n: NotificationRecord): NotificationView {
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
        querystring: NotificationListQuery,
        response: {
          200: NotificationPage,
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
