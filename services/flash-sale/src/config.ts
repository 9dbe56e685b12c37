import { hostname } from 'node:os';
import { defaultServiceUrl, SERVICE_PORTS } from '@glassbox/contracts';
import { BaseConfig } from '@glassbox/kit';
import { BusConfig } from '@glassbox/kit/bus';
import { type Static, Type } from 'typebox';

export const FlashSaleConfig = Type.Object({
  ...BaseConfig.properties,
  ...BusConfig,
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: SERVICE_PORTS['flash-sale'] }),
  DATABASE_URL: Type.String({
    minLength: 1,
    default: 'postgres://postgres@127.0.0.1:5432/glassbox_flash_sale',
  }),
  AUTH_URL: Type.String({ minLength: 1, default: defaultServiceUrl('auth') }),
  /** Holds each sale's quantity by one reservation. */
  INVENTORY_URL: Type.String({ minLength: 1, default: defaultServiceUrl('inventory') }),
  /**
   * Connected mode: admission by a Lua script in this Redis (shared by every replica). Empty: embedded mode,
   * admission in process with a PostgreSQL group commit (one replica only).
   */
  REDIS_URL: Type.String({ default: '' }),
  /** The Redis Stream accepted purchases go through (one per deployment sharing a Redis). */
  FLASH_SALE_STREAM: Type.String({ minLength: 1, default: 'glassbox:flash-sale:accepted' }),
  /** This replica's consumer name on the accepted-purchases stream (stable across its restarts). */
  FLASH_SALE_REPLICA: Type.String({ minLength: 1, default: hostname() }),
  /** How long an accepted buyer has to pay (the `payBy` of `flash.purchase.accepted`). */
  PAYMENT_DEADLINE_MS: Type.Integer({ minimum: 1_000, default: 900_000 }),
  /**
   * How often purchases whose order failed, or not paid by the deadline, are released back to their sale, and
   * ended sales are settled with inventory (sold units taken off hand, the rest given back).
   */
  RELEASE_SWEEP_INTERVAL_MS: Type.Integer({ minimum: 0, default: 5_000 }),
  /** The outbox relay's backstop interval (it is woken after each commit anyway). */
  OUTBOX_INTERVAL_MS: Type.Integer({ minimum: 10, default: 1_000 }),
  /** More purchase attempts than this being admitted at once are answered 429 WAITING_ROOM with Retry-After. */
  ADMISSION_QUEUE_MAX: Type.Integer({ minimum: 1, default: 2_000 }),
});
export type FlashSaleConfig = Static<typeof FlashSaleConfig>;
