/**
 * Provider callbacks. No access token: the request must carry a valid HMAC signature of its exact bytes, so
 * this plugin parses JSON itself, checking the signature over the raw body before anything else is looked at.
 */

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ProviderCallbackResult, ProviderEvent } from '@glassbox/contracts';
import { appError } from '@glassbox/kit';
import type { Payments } from '../app/payments.js';
import { verifySignature } from '../domain/signature.js';
import type { PaymentMetrics } from '../metrics.js';

export const SIGNATURE_HEADER = 'x-provider-signature';

export interface CallbackRoutesOptions {
  payments: Payments;
  metrics: PaymentMetrics;
  secret: string;
  toleranceSeconds: number;
  /** Unix seconds; tests move the clock. */
  now?: () => number;
}

export const callbackRoutes: FastifyPluginAsyncTypebox<CallbackRoutesOptions> = async (app, options) => {
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));

  // This plugin's own JSON parser: verify the signature over the raw bytes, then parse.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const raw = typeof body === 'string' ? body : body.toString('utf8');
    const header = request.headers[SIGNATURE_HEADER];
    const check = verifySignature(typeof header === 'string' ? header : undefined, raw, options.secret, {
      nowSeconds: now(),
      toleranceSeconds: options.toleranceSeconds,
    });
    if (!check.ok) {
      options.metrics.callback('unknown', 'bad_signature');
      done(appError('UNAUTHENTICATED', `provider callback rejected: ${check.reason}`), undefined);
      return;
    }
    try {
      done(null, JSON.parse(raw));
    } catch {
      done(appError('VALIDATION_FAILED', 'the body is not valid JSON'), undefined);
    }
  });
  // A callback without a body (or another media type) is never accepted unsigned.
  app.addHook('preValidation', async (request) => {
    if (request.body === undefined)
      throw appError('UNAUTHENTICATED', 'provider callback rejected: no signed body');
  });

  app.post(
    '/api/v1/payments/provider-callbacks',
    {
      schema: {
        description: `Signed provider events (header ${SIGNATURE_HEADER}: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">). Applied once per event id.`,
        body: ProviderEvent,
        response: { 200: ProviderCallbackResult },
      },
    },
    async (request) => {
      const event: ProviderEvent = { id: request.body.id, type: request.body.type, data: request.body.data };
      const { outcome, payment } = await options.payments.applyEvent(event, request.log);
      options.metrics.callback(event.type, outcome);
      return { eventId: event.id, outcome, paymentId: payment.id, paymentStatus: payment.status };
    },
  );
};
