import { type Static, type TObject, Type } from 'typebox';
import { Value } from 'typebox/value';

/** Values of DEPLOYMENT_ENVIRONMENT under which the public development secrets may be used. */
export const DEVELOPMENT_ENVIRONMENTS: readonly string[] = ['local', 'development', 'test'];

/** Marks a setting whose default is a development secret, public in this repository. */
const DEVELOPMENT_DEFAULT = 'x-development-default';

/**
 * A secret setting with a default that only development may use: `loadConfig` refuses that value when
 * DEPLOYMENT_ENVIRONMENT is anything but local, development or test. `glassbox start` generates real ones
 * per installation (`.glassbox/`).
 */
export function developmentSecret(defaultValue: string) {
  return Type.String({ minLength: 16, default: defaultValue, [DEVELOPMENT_DEFAULT]: true });
}

/** The internal token's development default (the supervisor passes a generated one). */
export const DEVELOPMENT_INTERNAL_TOKEN = 'glassbox-local-internal-token';

/** Settings every service understands. Services extend this with their own fields. */
export const BaseConfig = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 0 }),
  HOST: Type.String({ default: '127.0.0.1' }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
  DEPLOYMENT_ENVIRONMENT: Type.String({ default: 'local' }),
  INTERNAL_TOKEN: developmentSecret(DEVELOPMENT_INTERNAL_TOKEN),
  SHUTDOWN_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 10_000 }),
  SEED_DEMO: Type.Boolean({ default: false }),
  /** Connections this process keeps to its database at most, and how long an idle one is kept. */
  DB_POOL_MAX: Type.Integer({ minimum: 1, maximum: 100, default: 5 }),
  DB_POOL_IDLE_MS: Type.Integer({ minimum: 1_000, default: 10_000 }),
});
export type BaseConfig = Static<typeof BaseConfig>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Outside development, the settings still holding their public development default: a forged internal call
 * or provider callback must not be one `git clone` away.
 */
function developmentSecretsIn(
  schema: TObject,
  values: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
): string[] {
  const environment = String(values.DEPLOYMENT_ENVIRONMENT ?? env.DEPLOYMENT_ENVIRONMENT ?? 'local');
  if (DEVELOPMENT_ENVIRONMENTS.includes(environment)) return [];
  const problems: string[] = [];
  for (const [key, property] of Object.entries(schema.properties)) {
    const spec = property as { default?: unknown; [DEVELOPMENT_DEFAULT]?: unknown };
    if (spec[DEVELOPMENT_DEFAULT] === true && values[key] === spec.default) {
      problems.push(
        `${key}: is the public development default, refused when DEPLOYMENT_ENVIRONMENT=${JSON.stringify(environment)}; ` +
          `set a secret of your own (at least 16 characters, e.g. \`openssl rand -hex 32\`)`,
      );
    }
  }
  return problems;
}

/**
 * Reads configuration from the environment: applies defaults, converts strings to the declared types and
 * validates. Every problem is reported at once, naming the variable, the value and what was expected.
 * Outside development (DEPLOYMENT_ENVIRONMENT not local/development/test), a `developmentSecret` setting left at
 * its public default is refused.
 */
export function loadConfig<S extends TObject>(schema: S, env: NodeJS.ProcessEnv = process.env): Static<S> {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(schema.properties)) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const withDefaults = Value.Default(schema, raw);
  const converted = Value.Convert(schema, withDefaults);
  if (Value.Check(schema, converted)) {
    const refused = developmentSecretsIn(schema, converted as Record<string, unknown>, env);
    if (refused.length > 0) throw new ConfigError(refused);
    return converted;
  }
  // Each variable on its own, so every bad one is named once with what it must be.
  const problems: string[] = [];
  const values = converted as Record<string, unknown>;
  const required = new Set<string>(schema.required ?? []);
  for (const [key, property] of Object.entries(schema.properties)) {
    const given = env[key];
    const shown = given === undefined ? '(unset)' : JSON.stringify(given);
    if (values[key] === undefined) {
      if (required.has(key)) problems.push(`${key}=${shown}: is required`);
      continue;
    }
    const errors = [...Value.Errors(property, values[key])];
    if (errors.length === 0) continue;
    const allowed = errors
      .filter((e) => e.keyword === 'const')
      .map((e) => (e.params as { allowedValue?: unknown }).allowedValue);
    const what =
      allowed.length > 0
        ? `must be one of ${allowed.join(', ')}`
        : errors
            .filter((e) => e.keyword !== 'anyOf')
            .map((e) => e.message)
            .join('; ');
    problems.push(`${key}=${shown}: ${what}`);
  }
  throw new ConfigError(problems.length > 0 ? problems : ['the configuration does not match its schema']);
}
