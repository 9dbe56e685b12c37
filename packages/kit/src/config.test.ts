import { Type } from 'typebox';
import { describe, expect, it } from 'vitest';
import {
  BaseConfig,
  ConfigError,
  DEVELOPMENT_INTERNAL_TOKEN,
  developmentSecret,
  loadConfig,
} from './config.js';

const Schema = Type.Object({
  ...BaseConfig.properties,
  DATABASE_URL: Type.String({ pattern: '^postgres(ql)?://' }),
  RETRIES: Type.Integer({ minimum: 0, default: 3 }),
});

describe('loadConfig', () => {
  it('applies defaults and converts strings to the declared types', () => {
    const config = loadConfig(Schema, { DATABASE_URL: 'postgres://x/y', PORT: '8085', SEED_DEMO: 'true' });
    expect(config).toMatchObject({
      PORT: 8085,
      HOST: '127.0.0.1',
      SEED_DEMO: true,
      RETRIES: 3,
      LOG_LEVEL: 'info',
    });
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig(Schema, { DATABASE_URL: 'postgres://x/y', RETRIES: '' }).RETRIES).toBe(3);
  });

  it('reports every bad value at once, naming the variable and the value given', () => {
    let error: unknown;
    try {
      loadConfig(Schema, { DATABASE_URL: 'mysql://nope', PORT: 'eighty', LOG_LEVEL: 'loud' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toContain('DATABASE_URL="mysql://nope"');
    expect(message).toContain('PORT="eighty"');
    expect(message).toContain('LOG_LEVEL="loud"');
  });

  it('names a missing required variable', () => {
    expect(() => loadConfig(Schema, {})).toThrow(/DATABASE_URL=\(unset\)/);
  });

  it('refuses the built-in development secrets outside development, naming each', () => {
    const WithSecret = Type.Object({
      ...Schema.properties,
      WEBHOOK_SECRET: developmentSecret('a-public-development-secret'),
    });
    const env = { DATABASE_URL: 'postgres://x/y' };
    for (const environment of ['local', 'development', 'test', undefined]) {
      const config = loadConfig(WithSecret, { ...env, DEPLOYMENT_ENVIRONMENT: environment });
      expect(config.INTERNAL_TOKEN).toBe(DEVELOPMENT_INTERNAL_TOKEN);
      expect(config.WEBHOOK_SECRET).toBe('a-public-development-secret');
    }
    let error: unknown;
    try {
      loadConfig(WithSecret, { ...env, DEPLOYMENT_ENVIRONMENT: 'production' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^INTERNAL_TOKEN: is the public development default/);
    expect(problems[1]).toMatch(/^WEBHOOK_SECRET: is the public development default/);
    // The secret itself is never printed.
    expect((error as ConfigError).message).not.toContain(DEVELOPMENT_INTERNAL_TOKEN);
    // Given explicitly, the default is refused all the same; secrets of one's own are accepted.
    expect(() =>
      loadConfig(WithSecret, {
        ...env,
        DEPLOYMENT_ENVIRONMENT: 'staging',
        INTERNAL_TOKEN: DEVELOPMENT_INTERNAL_TOKEN,
        WEBHOOK_SECRET: 'my own webhook secret',
      }),
    ).toThrow(/INTERNAL_TOKEN: is the public development default/);
    const own = loadConfig(WithSecret, {
      ...env,
      DEPLOYMENT_ENVIRONMENT: 'production',
      INTERNAL_TOKEN: 'my own internal token',
      WEBHOOK_SECRET: 'my own webhook secret',
    });
    expect(own).toMatchObject({
      INTERNAL_TOKEN: 'my own internal token',
      WEBHOOK_SECRET: 'my own webhook secret',
    });
  });
});
