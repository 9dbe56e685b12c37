import type { Db, Logger } from '@glassbox/kit';
import { type Bus, dataOf, idempotent } from '@glassbox/kit/bus';
import type { Profiles } from '../app/profiles.js';

/** The consumer group of the user service's profile creation. */
export const PROFILES_GROUP = 'user.profiles';

/**
 * Creates the profile of every newly registered user from auth's `user.registered` event, in the
 * transaction that records the event in the inbox (a redelivery changes nothing). A profile the user already
 * has — made from the token on a first `/me` that beat the event — takes the registration's name unless the
 * user chose one (domain/profiles.ts).
 */
export async function consumeRegistrations(options: {
  bus: Bus;
  db: Db;
  profiles: Profiles;
  logger: Logger;
}): Promise<void> {
  const { bus, db, profiles, logger } = options;
  await bus.subscribe({
    group: PROFILES_GROUP,
    types: ['user.registered'],
    handle: idempotent(db, async (event, tx) => {
      const user = dataOf(event, 'user.registered');
      const { created } = await profiles.fromRegistration(user, tx);
      logger.info({ tenant_id: user.tenantId, user_id: user.userId, created }, 'profile from registration');
    }),
  });
}
