import { describe, expect, it } from 'vitest';
import { becomesDefault, mayReplaceName, normalizeAddress, placeholderName } from './profiles.js';

describe('profile rules', () => {
  it('names a profile created from a token after the email local part', () => {
    expect(placeholderName('alice.smith@demo.test')).toBe('alice.smith');
    expect(placeholderName('@odd')).toBe('customer');
  });

  it('lets a late registration replace a placeholder name but never a name the user chose', () => {
    expect(mayReplaceName('token', 'registration')).toBe(true);
    expect(mayReplaceName('registration', 'registration')).toBe(false);
    expect(mayReplaceName('user', 'registration')).toBe(false);
    expect(mayReplaceName('registration', 'user')).toBe(true);
    expect(mayReplaceName('token', 'token')).toBe(false);
  });
});

describe('address rules', () => {
  it('trims fields, drops empty optional ones and upper-cases the country', () => {
    expect(
      normalizeAddress({
        label: '  ',
        line1: ' 1 Main St ',
        line2: '',
        city: ' Berlin ',
        region: ' BE ',
        postalCode: ' 10115 ',
        country: 'de',
      }),
    ).toEqual({
      label: undefined,
      line1: '1 Main St',
      line2: undefined,
      city: 'Berlin',
      region: 'BE',
      postalCode: '10115',
      country: 'DE',
      isDefault: false,
    });
  });

  it('makes the first address the default one', () => {
    expect(becomesDefault(undefined, 0)).toBe(true);
    expect(becomesDefault(false, 0)).toBe(true);
    expect(becomesDefault(false, 2)).toBe(false);
    expect(becomesDefault(true, 2)).toBe(true);
  });
});
