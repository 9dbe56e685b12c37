import type { Role } from '@glassbox/kit';

/** Account rules: how identities are normalized and which role a newly registered user gets. */

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function normalizeTenantSlug(slug: string): string {
  return slug.trim().toLowerCase();
}

const SLUG = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export function isValidTenantSlug(slug: string): boolean {
  return SLUG.test(slug);
}

/** The first user of a tenant (the one whose registration created it) administers it; later ones are customers. */
export function rolesForNewUser(tenantCreated: boolean): Role[] {
  return tenantCreated ? ['admin'] : ['customer'];
}

/** The message for every failed login, whatever failed: never reveal whether a tenant or a user exists. */
export const INVALID_LOGIN = 'the tenant, email or password is not correct';
