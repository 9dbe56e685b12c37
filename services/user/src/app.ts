import { authPlugin, createServiceApp, type Db, type Logger, type ServiceApp } from '@glassbox/kit';
import type { JWTVerifyGetKey } from 'jose';
import { createProfileRepository } from './adapters/profile-repository.js';
import type { UserConfig } from './config.js';
import { internalRoutes } from './http/internal-routes.js';
import { meRoutes } from './http/me-routes.js';

export interface UserAppDeps {
  db: Db;
  logger: Logger;
  config: Pick<UserConfig, 'AUTH_URL' | 'INTERNAL_TOKEN' | 'MAX_ADDRESSES_PER_USER'>;
  /** Verification keys for tests; by default the auth service's JWKS. */
  keys?: JWTVerifyGetKey;
}

/** The user service's app, not listening: profiles and addresses. */
export async function buildApp({ db, logger, config, keys }: UserAppDeps): Promise<ServiceApp> {
  const profiles = createProfileRepository(db, { maxAddressesPerUser: config.MAX_ADDRESSES_PER_USER });
  const app = await createServiceApp({
    name: 'user',
    logger,
    description: 'Profiles and addresses of the users of each tenant',
    readiness: { db: () => db.ping() },
  });
  const internalToken = config.INTERNAL_TOKEN;
  await app.register(
    authPlugin,
    keys
      ? { keys, internalToken }
      : { jwksUrl: `${config.AUTH_URL.replace(/\/$/, '')}/.well-known/jwks.json`, internalToken },
  );
  await app.register(meRoutes, { profiles });
  await app.register(internalRoutes, { profiles });
  return app;
}
