import { Type } from 'typebox';
import { describe, expect, it } from 'vitest';
import { BaseConfig, ConfigError, loadConfig } from './config.js';

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
});
