import { randomUUID } from 'node:crypto';
import { type Db, isUniqueViolation, type Role } from '@glassbox/kit';
import type { Outbox } from '@glassbox/kit/bus';
import type { AccountStore, UserRecord } from '../app/auth-service.js';

interface UserRow {
  id: string;
  tenant_id: string;
  email: string;
  name: string;
  roles: Role[];
  password_hash: string;
}

function toUser(row: UserRow): UserRecord {
  return { id: row.id, tenantId: row.tenant_id, email: row.email, name: row.name, roles: row.roles };
}

/**
 * Tenants and users in auth's database. Every user query names its tenant. A registration announces the new
 * user (`user.registered`, which the user service turns into a profile) through the outbox, in its own
 * transaction.
 */
export function createAccountsRepository(db: Db, outbox: Outbox): AccountStore {
  return {
    async register({ tenantSlug, email, name, passwordHash, rolesFor }) {
      try {
        return await db.tx(async (q) => {
          // A new slug creates the tenant; two racing registrations of one new slug serialize on its unique
          // index, and only the one that inserted it becomes the admin.
          const created = await q.query<{ id: string }>(
            `INSERT INTO tenants (id, slug, name) VALUES ($1, $2, $2)
             ON CONFLICT (slug) DO NOTHING RETURNING id`,
            [randomUUID(), tenantSlug],
          );
          const tenantCreated = created.length === 1;
          const tenantId =
            created[0]?.id ??
            (await q.query<{ id: string }>('SELECT id FROM tenants WHERE slug = $1', [tenantSlug]))[0]?.id;
          if (!tenantId) throw new Error(`tenant ${tenantSlug} vanished during registration`);
          const roles = rolesFor(tenantCreated);
          const [row] = await q.query<UserRow>(
            `INSERT INTO users (tenant_id, id, email, name, password_hash, roles)
             VALUES ($1, $2, $3, $4, $5, $6)
             RETURNING id, tenant_id, email, name, roles, password_hash`,
            [tenantId, randomUUID(), email, name, passwordHash, roles],
          );
          if (!row) throw new Error('user insert returned nothing');
          await outbox.add(
            q,
            'user.registered',
            { tenantId, userId: row.id, email, name },
            { subject: row.id },
          );
          return { ...toUser(row), tenantCreated };
        });
      } catch (error) {
        if (isUniqueViolation(error)) return 'email-taken';
        throw error;
      }
    },

    async findForLogin(tenantSlug, email) {
      const [row] = await db.query<UserRow>(
        `SELECT u.id, u.tenant_id, u.email, u.name, u.roles, u.password_hash
           FROM users u JOIN tenants t ON t.id = u.tenant_id
          WHERE t.slug = $1 AND u.email = $2`,
        [tenantSlug, email],
      );
      return row ? { ...toUser(row), passwordHash: row.password_hash } : undefined;
    },

    async findById(tenantId, userId) {
      const [row] = await db.query<UserRow>(
        'SELECT id, tenant_id, email, name, roles, password_hash FROM users WHERE tenant_id = $1 AND id = $2',
        [tenantId, userId],
      );
      return row ? toUser(row) : undefined;
    },

    async updatePasswordHash(tenantId, userId, passwordHash) {
      await db.query(
        'UPDATE users SET password_hash = $3, updated_at = now() WHERE tenant_id = $1 AND id = $2',
        [tenantId, userId, passwordHash],
      );
    },
  };
}
