import { DEMO_TENANT, DEMO_USERS } from '@glassbox/contracts';
import type { Db, Logger } from '@glassbox/kit';

/** Profiles of the demo users (ids shared with auth through @glassbox/contracts). Idempotent. */
export async function seedDemo(db: Db, logger?: Logger): Promise<void> {
  let created = 0;
  for (const user of DEMO_USERS) {
    const rows = await db.query(
      `INSERT INTO profiles (tenant_id, user_id, email, name, name_source)
       VALUES ($1, $2, $3, $4, 'registration') ON CONFLICT DO NOTHING RETURNING user_id`,
      [DEMO_TENANT.id, user.id, user.email, user.name],
    );
    created += rows.length;
  }
  logger?.info({ tenant: DEMO_TENANT.slug, profilesCreated: created }, 'demo profiles seeded');
}
