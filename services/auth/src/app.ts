import { createPeriodicWorker, createServiceApp, type Db, type Logger, type ServiceApp } from '@glassbox/kit';
import { type Bus, createOutbox } from '@glassbox/kit/bus';
import { createAccountsRepository } from './adapters/accounts-repository.js';
import { createRefreshTokenRepository } from './adapters/refresh-token-repository.js';
import { createSigningKeys } from './adapters/signing-keys.js';
import { createAuthService } from './app/auth-service.js';
import type { AuthConfig } from './config.js';
import { authRoutes } from './http/auth-routes.js';
import { jwksRoutes } from './http/jwks-routes.js';

export type AppConfig = Pick<
  AuthConfig,
  | 'INTERNAL_TOKEN'
  | 'ACCESS_TOKEN_TTL_SECONDS'
  | 'REFRESH_TOKEN_TTL_SECONDS'
  | 'SCRYPT_LOG_N'
  | 'SCRYPT_R'
  | 'SCRYPT_P'
  | 'OUTBOX_INTERVAL_MS'
>;

export interface AuthAppDeps {
  db: Db;
  logger: Logger;
  config: AppConfig;
  /** Where `user.registered` goes; its owner closes it. */
  bus: Bus;
}

export function scryptParams(config: Pick<AuthConfig, 'SCRYPT_LOG_N' | 'SCRYPT_R' | 'SCRYPT_P'>) {
  return { logN: config.SCRYPT_LOG_N, r: config.SCRYPT_R, p: config.SCRYPT_P };
}

/** How often refresh tokens that expired more than a day ago are forgotten. */
const REFRESH_TOKEN_PURGE_MS = 10 * 60_000;

/**
 * The auth service's app, not listening. Loads (or, the first time, creates) the signing key before it is
 * ready; while it runs, its outbox relay publishes `user.registered` events and a worker forgets refresh
 * tokens a day after they expired.
 */
export async function buildApp({ db, logger, config, bus }: AuthAppDeps): Promise<ServiceApp> {
  const signingKeys = createSigningKeys(db);
  await signingKeys.init();
  const refreshTokens = createRefreshTokenRepository(db);
  const outbox = createOutbox({ db, bus, source: 'auth', logger, intervalMs: config.OUTBOX_INTERVAL_MS });
  const auth = createAuthService({
    accounts: createAccountsRepository(db, outbox),
    refreshTokens,
    signer: signingKeys,
    scrypt: scryptParams(config),
    accessTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
    refreshTtlSeconds: config.REFRESH_TOKEN_TTL_SECONDS,
  });
  const purge = createPeriodicWorker({
    name: 'auth.refresh-tokens.purge',
    intervalMs: REFRESH_TOKEN_PURGE_MS,
    logger,
    run: () => refreshTokens.deleteExpired(86_400),
    idle: (deleted) => deleted === 0,
  });

  const app = await createServiceApp({
    name: 'auth',
    logger,
    description: 'Tenants, credentials, roles and access tokens (ES256 JWT, JWKS)',
    readiness: {
      db: () => db.ping(),
      signingKey: async () => {
        await signingKeys.currentKid();
      },
    },
    // Registrations go on while the bus is down: their events wait in the outbox.
    degradedWhenFailing: { bus: () => outbox.check() },
  });
  await app.register(jwksRoutes, { keys: signingKeys });
  await app.register(authRoutes, { auth });

  app.addHook('onReady', async () => {
    outbox.start();
    purge.start({ immediately: true });
  });
  app.addHook('onClose', async () => {
    await Promise.all([outbox.stop(), purge.stop()]);
  });
  return app;
}
