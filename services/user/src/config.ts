import { defaultServiceUrl, SERVICE_PORTS } from '@glassbox/contracts';
import { BaseConfig } from '@glassbox/kit';
import { BusConfig } from '@glassbox/kit/bus';
import { type Static, Type } from 'typebox';

export const UserConfig = Type.Object({
  ...BaseConfig.properties,
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: SERVICE_PORTS.user }),
  DATABASE_URL: Type.String({ pattern: '^postgres(ql)?://' }),
  /** The auth service, whose JWKS verifies access tokens. */
  AUTH_URL: Type.String({ pattern: '^https?://', default: defaultServiceUrl('auth') }),
  /** The bus on which `user.registered` arrives (amqp:// or postgres://). */
  ...BusConfig,
  MAX_ADDRESSES_PER_USER: Type.Integer({ minimum: 1, maximum: 1000, default: 20 }),
});
export type UserConfig = Static<typeof UserConfig>;
