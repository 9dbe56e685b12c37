/**
 * The user service's use cases: a caller's own profile and addresses, and profiles from registrations (the
 * internal route and the `user.registered` consumer share one). Routes and consumers call these; only these
 * call the repository.
 */
import { appError, type Principal, type Queryable } from '@glassbox/kit';
import type { ProfileRepository } from '../adapters/profile-repository.js';
import { type AddressInput, normalizeAddress, type Profile, placeholderName } from '../domain/profiles.js';
import { userMetrics } from '../metrics.js';

export interface Registration {
  tenantId: string;
  userId: string;
  email: string;
  name: string;
}

export function createProfiles(repository: ProfileRepository) {
  /** The caller's profile, created from the token when the registration's has not arrived (yet). */
  async function ensure(p: Principal): Promise<Profile> {
    const existing = await repository.find(p.tenantId, p.userId);
    if (existing) return existing;
    const { profile, created } = await repository.upsert(
      { tenantId: p.tenantId, userId: p.userId, email: p.email, name: placeholderName(p.email) },
      'token',
    );
    if (created) userMetrics.profilesCreated.add(1, { source: 'token' });
    return profile;
  }

  async function view(p: Principal, profile: Profile) {
    return {
      id: profile.userId,
      tenantId: profile.tenantId,
      email: profile.email,
      name: profile.name,
      roles: p.roles,
      addresses: await repository.listAddresses(p.tenantId, p.userId),
    };
  }

  return {
    async me(p: Principal) {
      return view(p, await ensure(p));
    },

    async rename(p: Principal, name: string) {
      await ensure(p);
      const profile = await repository.rename(p.tenantId, p.userId, name.trim());
      if (!profile) throw appError('NOT_FOUND', 'no profile for this user');
      return view(p, profile);
    },

    async addresses(p: Principal) {
      return repository.listAddresses(p.tenantId, p.userId);
    },

    async addAddress(p: Principal, input: AddressInput) {
      await ensure(p);
      const address = await repository.addAddress(p.tenantId, p.userId, normalizeAddress(input));
      userMetrics.addressesAdded.add(1);
      return address;
    },

    async deleteAddress(p: Principal, id: string): Promise<void> {
      if (!(await repository.deleteAddress(p.tenantId, p.userId, id))) {
        throw appError('NOT_FOUND', `no address ${id}`);
      }
    },

    /**
     * The profile of a newly registered user (idempotent: a second call answers the same profile). A profile
     * made from the token on a first `/me` that beat the registration takes its name unless the user chose one.
     */
    async fromRegistration(
      user: Registration,
      tx?: Queryable,
    ): Promise<{ profile: Profile; created: boolean }> {
      const result = await repository.upsert(
        {
          tenantId: user.tenantId,
          userId: user.userId,
          email: user.email.trim().toLowerCase(),
          name: user.name.trim(),
        },
        'registration',
        tx,
      );
      if (result.created) userMetrics.profilesCreated.add(1, { source: 'registration' });
      return result;
    },
  };
}

export type Profiles = ReturnType<typeof createProfiles>;
