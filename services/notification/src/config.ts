import { defaultServiceUrl, SERVICE_PORTS } from '@glassbox/contracts';
import { BaseConfig } from '@glassbox/kit';
import { BusConfig } from '@glassbox/kit/bus';
import { type Static, Type } from 'typebox';

export const NotificationConfig = Type.Object({
  ...BaseConfig.properties,
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: SERVICE_PORTS.notification }),
  DATABASE_URL: Type.String({ pattern: '^postgres(ql)?://' }),
  /** The auth service, whose JWKS verifies access tokens. */
  AUTH_URL: Type.String({ pattern: '^https?://', default: defaultServiceUrl('auth') }),
  /** The bus on which the order, payment and user events arrive (amqp:// or postgres://). */
  ...BusConfig,
  /** How often the sender looks for due e-mails (it is also woken by every new one). */
  NOTIFICATION_SEND_INTERVAL_MS: Type.Integer({ minimum: 10, default: 1_000 }),
  /** Attempts of the simulated sender before an e-mail is given up (FAILED). */
  NOTIFICATION_SEND_MAX_ATTEMPTS: Type.Integer({ minimum: 1, maximum: 50, default: 6 }),
  /** Wait before the second attempt, doubling each time. */
  NOTIFICATION_RETRY_BASE_MS: Type.Integer({ minimum: 1, default: 1_000 }),
  /** The longest wait between two attempts (the doubling stops there). */
  NOTIFICATION_RETRY_MAX_MS: Type.Integer({ minimum: 1, default: 300_000 }),
  /** Share of send attempts the simulated mail server refuses (transiently), to exercise the retries. */
  NOTIFICATION_SENDER_FAILURE_RATE: Type.Number({ minimum: 0, maximum: 1, default: 0 }),
});
export type NotificationConfig = Static<typeof NotificationConfig>;
