import { defaultServiceUrl, SERVICE_PORTS } from '@glassbox/contracts';
import { BaseConfig } from '@glassbox/kit';
import { type Static, Type } from 'typebox';

export const InventoryConfig = Type.Object({
  ...BaseConfig.properties,
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: SERVICE_PORTS.inventory }),
  DATABASE_URL: Type.String({
    minLength: 1,
    default: 'postgres://postgres@127.0.0.1:5432/glassbox_inventory',
  }),
  AUTH_URL: Type.String({ minLength: 1, default: defaultServiceUrl('auth') }),
  /** Asked whether a product exists before an admin creates its stock. */
  CATALOG_URL: Type.String({ minLength: 1, default: defaultServiceUrl('catalog') }),
  /** How long a reservation holds stock unless the caller says otherwise. */
  RESERVATION_TTL_SECONDS: Type.Integer({ minimum: 1, maximum: 86_400, default: 900 }),
  /** How often the sweeper releases expired reservations; 0 turns it off. */
  RESERVATION_SWEEP_INTERVAL_MS: Type.Integer({ minimum: 0, default: 5_000 }),
});
export type InventoryConfig = Static<typeof InventoryConfig>;
