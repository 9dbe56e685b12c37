/** Profile and address rules: no HTTP, no SQL. */
import type { AddressInput } from '@glassbox/contracts';

export type NameSource = 'registration' | 'token' | 'user';

export interface Profile {
  userId: string;
  tenantId: string;
  email: string;
  name: string;
  nameSource: NameSource;
}

/** What a user sends and gets back (the shapes are the public contract in @glassbox/contracts). */
export type { AddressInput, AddressView as Address } from '@glassbox/contracts';

/**
 * The name given to a profile created from an access token alone (the registration's profile has not arrived
 * yet): the local part of the email, which the registration or the user may replace later.
 */
export function placeholderName(email: string): string {
  const local = email.split('@')[0]?.trim();
  return local && local.length > 0 ? local.slice(0, 200) : 'customer';
}

/** Whether a profile's name may be replaced by one from `source`: a user's own choice is never overwritten. */
export function mayReplaceName(current: NameSource, source: NameSource): boolean {
  if (source === 'user') return true;
  return current === 'token' && source === 'registration';
}

function clean(value: string | undefined): string | undefined {
  const v = value?.trim();
  return v ? v : undefined;
}

/** Trims every field, drops empty optional ones and upper-cases the country code. */
export function normalizeAddress(input: AddressInput): AddressInput {
  return {
    label: clean(input.label),
    line1: input.line1.trim(),
    line2: clean(input.line2),
    city: input.city.trim(),
    region: clean(input.region),
    postalCode: input.postalCode.trim(),
    country: input.country.trim().toUpperCase(),
    isDefault: input.isDefault ?? false,
  };
}

/** The first address of a user is the default one, whatever was asked. */
export function becomesDefault(requested: boolean | undefined, existingCount: number): boolean {
  return existingCount === 0 || requested === true;
}
