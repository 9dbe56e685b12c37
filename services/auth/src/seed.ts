import { DEMO_PASSWORD, DEMO_TENANT, DEMO_USERS } from '@glassbox/contracts';
import type { Db, Logger } from '@glassbox/kit';
import { hashPassword, type ScryptParams } from './domain/passwords.js';

/**
 * The demo tenant and its two users (fixed ids from @glassbox/contracts, password `glassbox-demo`). Idempotent:
 * existing rows are left alone, and a password is only hashed for a user that does not exist yet.
 */
export async function seedDemo(db: Db, scrypt: ScryptParams, logger?: Logger): Promise<void> {
  await db.query('INSERT INTO tenants (id, slug, name) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [
    DEMO_TENANT.id,
    DEMO_TENANT.slug,
    DEMO_TENANT.name,
  ]);
  const existing = new Set(
    (
      await db.query<{ id: string }>('SELECT id FROM users WHERE tenant_id = $1 AND id = ANY($2::uuid[])', [
        DEMO_TENANT.id,
        DEMO_USERS.map((u) => u.id),
      ])
    ).map((r) => r.id),
  );
  let created = 0;
  for (const user of DEMO_USERS) {
    if (existing.has(user.id)) continue;
    const rows = await db.query(
      `INSERT INTO users (tenant_id, id, email, name, password_hash, roles)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING id`,
      [
        DEMO_TENANT.id,
        user.id,
        user.email,
        user.name,
        await hashPassword(DEMO_PASSWORD, scrypt),
        [user.role],
      ],
    );
    created += rows.length;
  }
  logger?.info({ tenant: DEMO_TENANT.slug, usersCreated: created }, 'demo tenant seeded');
}
