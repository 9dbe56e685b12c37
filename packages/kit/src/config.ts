import { type Static, type TObject, Type } from 'typebox';
import { Value } from 'typebox/value';

/** Settings every service understands. Services extend this with their own fields. */
export const BaseConfig = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 0 }),
  HOST: Type.String({ default: '127.0.0.1' }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
  DEPLOYMENT_ENVIRONMENT: Type.String({ default: 'local' }),
  INTERNAL_TOKEN: Type.String({ minLength: 16, default: 'glassbox-local-internal-token' }),
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
 * Reads configuration from the environment: applies defaults, converts strings to the declared types and
 * validates. Every problem is reported at once, naming the variable, the value and what was expected.
 */
export function loadConfig<S extends TObject>(schema: S, env: NodeJS.ProcessEnv = process.env): Static<S> {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(schema.properties)) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const withDefaults = Value.Default(schema, raw);
  const converted = Value.Convert(schema, withDefaults);
  if (Value.Check(schema, converted)) return converted;
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
