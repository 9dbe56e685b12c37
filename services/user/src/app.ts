import { authPlugin, createServiceApp, type Db, type Logger, type ServiceApp } from '@glassbox/kit';
import { type Bus, createInboxPurge } from '@glassbox/kit/bus';
import type { JWTVerifyGetKey } from 'jose';
import { createProfileRepository } from './adapters/profile-repository.js';
import { createProfiles } from './app/profiles.js';
import type { UserConfig } from './config.js';
import { consumeRegistrations } from './events/registrations.js';
import { internalRoutes } from './http/internal-routes.js';
import { meRoutes } from './http/me-routes.js';

export interface UserAppDeps {
  db: Db;
  logger: Logger;
  config: Pick<UserConfig, 'AUTH_URL' | 'INTERNAL_TOKEN' | 'MAX_ADDRESSES_PER_USER'>;
  /** Verification keys for tests; by default the auth service's JWKS. */
  keys?: JWTVerifyGetKey;
  /** The bus on which new users' profiles arrive (`user.registered`); without it, only the HTTP routes. */
  bus?: Bus;
}

/** The user service's app, not listening: profiles and addresses, and profiles from registrations. */
export async function buildApp({ db, logger, config, keys, bus }: UserAppDeps): Promise<ServiceApp> {
  const profiles = createProfiles(
    createProfileRepository(db, { maxAddressesPerUser: config.MAX_ADDRESSES_PER_USER }),
  );
  const app = await createServiceApp({
    name: 'user',
    logger,
    description: 'Profiles and addresses of the users of each tenant',
    readiness: { db: () => db.ping() },
    ...(bus ? { degradedWhenFailing: { bus: () => bus.check() } } : {}),
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
  if (bus) {
    await consumeRegistrations({ bus, db, profiles, logger });
    const purge = createInboxPurge({ db, logger });
    app.addHook('onReady', async () => purge.start({ immediately: true }));
    app.addHook('onClose', async () => purge.stop());
  }
  return app;
}
