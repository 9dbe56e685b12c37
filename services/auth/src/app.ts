import { createServiceApp, type Db, type Logger, type ServiceApp } from '@glassbox/kit';
import { createAccountsRepository } from './adapters/accounts-repository.js';
import { createProfileOutbox } from './adapters/profile-outbox.js';
import { createRefreshTokenRepository } from './adapters/refresh-token-repository.js';
import { createSigningKeys } from './adapters/signing-keys.js';
import type { AuthConfig } from './config.js';
import { createAuthService } from './domain/auth-service.js';
import { authRoutes } from './http/auth-routes.js';
import { jwksRoutes } from './http/jwks-routes.js';
import { observeOutboxBacklog } from './metrics.js';

export type AppConfig = Pick<
  AuthConfig,
  | 'USER_URL'
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
}

export function scryptParams(config: Pick<AuthConfig, 'SCRYPT_LOG_N' | 'SCRYPT_R' | 'SCRYPT_P'>) {
  return { logN: config.SCRYPT_LOG_N, r: config.SCRYPT_R, p: config.SCRYPT_P };
}

/**
 * The auth service's app, not listening. Loads (or, the first time, creates) the signing key before it is
 * ready; delivers pending profiles to the user service in the background while it runs.
 */
export async function buildApp({ db, logger, config }: AuthAppDeps): Promise<ServiceApp> {
  const signingKeys = createSigningKeys(db);
  await signingKeys.init();
  const refreshTokens = createRefreshTokenRepository(db);
  const profileOutbox = createProfileOutbox({
    db,
    userUrl: config.USER_URL,
    internalToken: config.INTERNAL_TOKEN,
    logger,
  });
  const auth = createAuthService({
    accounts: createAccountsRepository(db),
    refreshTokens,
    signer: signingKeys,
    profiles: profileOutbox,
    scrypt: scryptParams(config),
    accessTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
    refreshTtlSeconds: config.REFRESH_TOKEN_TTL_SECONDS,
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
  });
  await app.register(jwksRoutes, { keys: signingKeys });
  await app.register(authRoutes, { auth });

  // Background: retry undelivered profiles, and forget refresh tokens a day after they expired.
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let ticks = 0;
  let backlog = { oldestAgeSeconds: 0, count: 0 };
  observeOutboxBacklog(() => backlog);
  const tick = async () => {
    try {
      await profileOutbox.relay();
      backlog = await profileOutbox.backlog();
      if (ticks++ % 100 === 0) await refreshTokens.deleteExpired(86_400);
    } catch (error) {
      logger.warn({ err: (error as Error).message }, 'auth background work failed; will retry');
    }
  };
  app.addHook('onReady', async () => {
    timer = setInterval(() => {
      running ??= tick().finally(() => {
        running = undefined;
      });
    }, config.OUTBOX_INTERVAL_MS);
    timer.unref();
  });
  app.addHook('onClose', async () => {
    clearInterval(timer);
    await running;
  });
  return app;
}
