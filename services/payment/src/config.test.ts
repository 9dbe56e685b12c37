import { ConfigError, loadConfig } from '@glassbox/kit';
import { describe, expect, it } from 'vitest';
import { PaymentConfig } from './config.js';

describe('PaymentConfig', () => {
  it('refuses the public default callback secret outside development, and takes one of its own', () => {
    const own = { INTERNAL_TOKEN: 'an internal token of our own', BUS_URL: 'postgres://x@127.0.0.1/bus' };
    expect(() => loadConfig(PaymentConfig, { ...own, DEPLOYMENT_ENVIRONMENT: 'production' })).toThrow(
      ConfigError,
    );
    expect(() => loadConfig(PaymentConfig, { ...own, DEPLOYMENT_ENVIRONMENT: 'production' })).toThrow(
      /PAYMENT_WEBHOOK_SECRET: is the public development default/,
    );
    const config = loadConfig(PaymentConfig, {
      ...own,
      DEPLOYMENT_ENVIRONMENT: 'production',
      PAYMENT_WEBHOOK_SECRET: 'whsec_of_this_installation',
    });
    expect(config.PAYMENT_WEBHOOK_SECRET).toBe('whsec_of_this_installation');
    // A developer's machine runs with the defaults.
    expect(loadConfig(PaymentConfig, { BUS_URL: own.BUS_URL }).DEPLOYMENT_ENVIRONMENT).toBe('local');
  });
});
