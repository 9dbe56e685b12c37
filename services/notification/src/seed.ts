import { DEMO_TENANT, DEMO_USERS } from '@glassbox/contracts';
import type { Db, Logger } from '@glassbox/kit';
import { createNotificationRepo } from './adapters/notification-repo.js';

/**
 * The demo users' addresses (ids shared with auth through @glassbox/contracts): they are seeded, never registered,
 * so no user.registered brings them. Idempotent.
 */
export async function seedDemo(db: Db, logger?: Logger): Promise<void> {
  const repo = createNotificationRepo(db);
  for (const user of DEMO_USERS) {
    await repo.rememberRecipient(db, {
      tenantId: DEMO_TENANT.id,
      userId: user.id,
      email: user.email,
      name: user.name,
    });
  }
  logger?.info({ tenant: DEMO_TENANT.slug, recipients: DEMO_USERS.length }, 'demo recipients seeded');
}
