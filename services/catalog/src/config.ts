import { defaultServiceUrl, SERVICE_PORTS } from '@glassbox/contracts';
import { BaseConfig } from '@glassbox/kit';
import { type Static, Type } from 'typebox';

export const CatalogConfig = Type.Object({
  ...BaseConfig.properties,
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: SERVICE_PORTS.catalog }),
  DATABASE_URL: Type.String({
    minLength: 1,
    default: 'postgres://postgres@127.0.0.1:5432/glassbox_catalog',
  }),
  AUTH_URL: Type.String({ minLength: 1, default: defaultServiceUrl('auth') }),
});
export type CatalogConfig = Static<typeof CatalogConfig>;
