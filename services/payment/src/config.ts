import { defaultServiceUrl, SERVICE_PORTS } from '@glassbox/contracts';
import { BaseConfig, developmentSecret } from '@glassbox/kit';
import { BusConfig } from '@glassbox/kit/bus';
import { type Static, Type } from 'typebox';

export const PaymentConfig = Type.Object({
  ...BaseConfig.properties,
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: SERVICE_PORTS.payment }),
  DATABASE_URL: Type.String({
    minLength: 1,
    default: 'postgres://postgres@127.0.0.1:5432/glassbox_payment',
  }),
  AUTH_URL: Type.String({ minLength: 1, default: defaultServiceUrl('auth') }),
  /** The bus on which captures and refunds are announced (amqp:// or postgres://). */
  ...BusConfig,
  /** How long the simulated provider takes to approve tok_slow. */
  PAYMENT_SLOW_MS: Type.Integer({ minimum: 0, maximum: 600_000, default: 3_000 }),
  /**
   * Secret of the provider's callback signatures (HMAC-SHA256). `glassbox start` generates one per installation
   * (`.glassbox/webhook-secret`); the default is public and refused outside development.
   */
  PAYMENT_WEBHOOK_SECRET: developmentSecret('glassbox-local-webhook-secret'),
  /** How often payments are reconciled with orders (0: never). */
  RECONCILIATION_INTERVAL_MS: Type.Integer({ minimum: 0, default: 60_000 }),
  /** How long a captured payment waits for its order's outcome before it is reported. */
  RECONCILIATION_GRACE_MS: Type.Integer({ minimum: 0, default: 300_000 }),
  /** How far a callback's signature timestamp may be from now. */
  PAYMENT_WEBHOOK_TOLERANCE_SECONDS: Type.Integer({ minimum: 1, default: 300 }),
});
export type PaymentConfig = Static<typeof PaymentConfig>;
