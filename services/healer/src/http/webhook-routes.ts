import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { problemResponses } from '@glassbox/kit';
import { Type } from 'typebox';
import type { Healer } from '../app/healer.js';
import { Receipt, WebhookPayload } from './schemas.js';

/**
 * `POST /webhooks/alertmanager/:receiver`: Alertmanager's webhook receivers (`page`, `ticket` in
 * deploy/alertmanager/alertmanager.yml) and the observatory's (`observatory`) post here. The answer comes at
 * once; the remediation runs beside it.
 */
export const webhookRoutes: FastifyPluginAsyncTypebox<{ healer: Healer }> = async (app, { healer }) => {
  app.post(
    '/webhooks/alertmanager/:receiver',
    {
      schema: {
        summary: 'Receive an Alertmanager webhook notification (version 4)',
        params: Type.Object({ receiver: Type.String({ pattern: '^[a-zA-Z0-9_-]{1,64}$' }) }),
        body: WebhookPayload,
        response: { 200: Type.Object({ receipts: Type.Array(Receipt) }), ...problemResponses(400, 415) },
      },
    },
    async (request) => {
      request.log.info(
        {
          receiver: request.params.receiver,
          status: request.body.status,
          alerts: request.body.alerts.length,
          groupKey: request.body.groupKey,
        },
        'alert notification',
      );
      return { receipts: await healer.receive(request.body.alerts) };
    },
  );
};
