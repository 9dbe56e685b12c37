import { defaultServiceUrl, SERVICE_PORTS, type ServiceName } from '@glassbox/contracts';
import { BaseConfig } from '@glassbox/kit';
import { BusConfig } from '@glassbox/kit/bus';
import { type Static, Type } from 'typebox';

const url = (name: ServiceName) => Type.String({ minLength: 1, default: defaultServiceUrl(name) });

export const OrderConfig = Type.Object({
  ...BaseConfig.properties,
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: SERVICE_PORTS.order }),
  DATABASE_URL: Type.String({ minLength: 1, default: 'postgres://postgres@127.0.0.1:5432/glassbox_order' }),
  AUTH_URL: url('auth'),
  CATALOG_URL: url('catalog'),
  INVENTORY_URL: url('inventory'),
  PAYMENT_URL: url('payment'),
  /** The bus on which final statuses are announced (amqp:// or postgres://). */
  ...BusConfig,
  /** How long POST /orders waits for the saga before answering 202 PENDING. */
  ORDER_SYNC_BUDGET_MS: Type.Integer({ minimum: 0, maximum: 30_000, default: 1_500 }),
  /** A saga's lease: renewed while it runs; after a crash another worker resumes it once this has passed. */
  SAGA_LEASE_MS: Type.Integer({ minimum: 500, default: 10_000 }),
  /** How often the recovery loop looks for sagas to resume. */
  SAGA_RECOVERY_INTERVAL_MS: Type.Integer({ minimum: 50, default: 2_000 }),
  /** Transient failures of one step before the saga gives up and compensates. */
  SAGA_MAX_ATTEMPTS: Type.Integer({ minimum: 1, default: 8 }),
  SAGA_MAX_COMPENSATION_ATTEMPTS: Type.Integer({ minimum: 1, default: 20 }),
  SAGA_RETRY_BASE_MS: Type.Integer({ minimum: 1, default: 1_000 }),
  SAGA_RETRY_MAX_MS: Type.Integer({ minimum: 1, default: 30_000 }),
  /** Per-attempt timeout of catalog and inventory calls; payment gets its own (the provider may be slow). */
  DEPENDENCY_TIMEOUT_MS: Type.Integer({ minimum: 50, default: 5_000 }),
  PAYMENT_TIMEOUT_MS: Type.Integer({ minimum: 50, default: 15_000 }),
  DEPENDENCY_RETRIES: Type.Integer({ minimum: 0, maximum: 5, default: 2 }),
  /** How long inventory holds an order's stock before its sweeper releases it. */
  RESERVATION_TTL_SECONDS: Type.Integer({ minimum: 1, maximum: 86_400, default: 900 }),
});
export type OrderConfig = Static<typeof OrderConfig>;
