import { SERVICE_PORTS } from '@glassbox/contracts';
import { BaseConfig } from '@glassbox/kit';
import { BusConfig } from '@glassbox/kit/bus';
import { type Static, Type } from 'typebox';

export const AuthConfig = Type.Object({
  ...BaseConfig.properties,
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: SERVICE_PORTS.auth }),
  DATABASE_URL: Type.String({ pattern: '^postgres(ql)?://' }),
  /** The bus that carries `user.registered` to the user service (amqp:// or postgres://). */
  ...BusConfig,
  ACCESS_TOKEN_TTL_SECONDS: Type.Integer({ minimum: 30, maximum: 86_400, default: 900 }),
  REFRESH_TOKEN_TTL_SECONDS: Type.Integer({ minimum: 60, default: 30 * 86_400 }),
  /**
   * scrypt cost as log2(N), block size r and parallelism p. The default (N=2^14, r=8, p=5) is one of OWASP's
   * equivalent minimum settings and uses 16 MiB per hash; stored hashes carry their own parameters and are
   * upgraded on the next successful login when these change.
   */
  SCRYPT_LOG_N: Type.Integer({ minimum: 10, maximum: 20, default: 14 }),
  SCRYPT_R: Type.Integer({ minimum: 1, maximum: 32, default: 8 }),
  SCRYPT_P: Type.Integer({ minimum: 1, maximum: 16, default: 5 }),
  /** The outbox relay's backstop interval (it is woken at once after each registration commits). */
  OUTBOX_INTERVAL_MS: Type.Integer({ minimum: 100, default: 1_000 }),
});
export type AuthConfig = Static<typeof AuthConfig>;
