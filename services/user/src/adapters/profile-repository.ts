import { randomUUID } from 'node:crypto';
import { appError, type Db, type Queryable } from '@glassbox/kit';
import {
  type Address,
  type AddressInput,
  becomesDefault,
  mayReplaceName,
  type NameSource,
  type Profile,
} from '../domain/profiles.js';

interface ProfileRow {
  tenant_id: string;
  user_id: string;
  email: string;
  name: string;
  name_source: NameSource;
}

interface AddressRow {
  id: string;
  label: string | null;
  line1: string;
  line2: string | null;
  city: string;
  region: string | null;
  postal_code: string;
  country: string;
  is_default: boolean;
  created_at: Date;
}

const PROFILE_COLUMNS = 'tenant_id, user_id, email, name, name_source';
const ADDRESS_COLUMNS = 'id, label, line1, line2, city, region, postal_code, country, is_default, created_at';

function toProfile(row: ProfileRow): Profile {
  return {
    tenantId: row.tenant_id,
    userId: row.user_id,
    email: row.email,
    name: row.name,
    nameSource: row.name_source,
  };
}

function toAddress(row: AddressRow): Address {
  return {
    id: row.id,
    label: row.label,
    line1: row.line1,
    line2: row.line2,
    city: row.city,
    region: row.region,
    postalCode: row.postal_code,
    country: row.country,
    isDefault: row.is_default,
    createdAt: row.created_at.toISOString(),
  };
}

/** Profiles and addresses; every statement is scoped by tenant (and user for addresses). */
export function createProfileRepository(db: Db, options: { maxAddressesPerUser: number }) {
  async function lockProfile(q: Queryable, tenantId: string, userId: string): Promise<boolean> {
    const rows = await q.query('SELECT 1 FROM profiles WHERE tenant_id = $1 AND user_id = $2 FOR UPDATE', [
      tenantId,
      userId,
    ]);
    return rows.length === 1;
  }

  return {
    async find(tenantId: string, userId: string): Promise<Profile | undefined> {
      const [row] = await db.query<ProfileRow>(
        `SELECT ${PROFILE_COLUMNS} FROM profiles WHERE tenant_id = $1 AND user_id = $2`,
        [tenantId, userId],
      );
      return row ? toProfile(row) : undefined;
    },

    /**
     * Creates the profile if it does not exist (idempotent). An existing profile keeps its data, except that a
     * placeholder name is replaced by a registration's. `created` tells whether this call inserted it.
     */
    /** Creates or (when `source` may) renames the profile; in the caller's transaction `tx` when given. */
    async upsert(
      profile: Omit<Profile, 'nameSource'>,
      source: NameSource,
      tx?: Queryable,
    ): Promise<{ profile: Profile; created: boolean }> {
      const inTx = <T>(fn: (q: Queryable) => Promise<T>) => (tx ? fn(tx) : db.tx(fn));
      return inTx(async (q) => {
        const inserted = await q.query<ProfileRow>(
          `INSERT INTO profiles (tenant_id, user_id, email, name, name_source) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (tenant_id, user_id) DO NOTHING RETURNING ${PROFILE_COLUMNS}`,
          [profile.tenantId, profile.userId, profile.email, profile.name, source],
        );
        if (inserted[0]) return { profile: toProfile(inserted[0]), created: true };
        const [row] = await q.query<ProfileRow>(
          `SELECT ${PROFILE_COLUMNS} FROM profiles WHERE tenant_id = $1 AND user_id = $2 FOR UPDATE`,
          [profile.tenantId, profile.userId],
        );
        if (!row) throw new Error('profile vanished during upsert');
        if (!mayReplaceName(row.name_source, source)) return { profile: toProfile(row), created: false };
        const [updated] = await q.query<ProfileRow>(
          `UPDATE profiles SET name = $3, name_source = $4, updated_at = now()
            WHERE tenant_id = $1 AND user_id = $2 RETURNING ${PROFILE_COLUMNS}`,
          [profile.tenantId, profile.userId, profile.name, source],
        );
        return { profile: toProfile(updated ?? row), created: false };
      });
    },

    async rename(tenantId: string, userId: string, name: string): Promise<Profile | undefined> {
      const [row] = await db.query<ProfileRow>(
        `UPDATE profiles SET name = $3, name_source = 'user', updated_at = now()
          WHERE tenant_id = $1 AND user_id = $2 RETURNING ${PROFILE_COLUMNS}`,
        [tenantId, userId, name],
      );
      return row ? toProfile(row) : undefined;
    },

    async listAddresses(tenantId: string, userId: string): Promise<Address[]> {
      const rows = await db.query<AddressRow>(
        `SELECT ${ADDRESS_COLUMNS} FROM addresses WHERE tenant_id = $1 AND user_id = $2 ORDER BY created_at, id`,
        [tenantId, userId],
      );
      return rows.map(toAddress);
    },

    /** Adds an address (the profile must exist). Throws CONFLICT past the per-user limit. */
    async addAddress(tenantId: string, userId: string, input: AddressInput): Promise<Address> {
      return db.tx(async (q) => {
        // The profile row lock serializes a user's concurrent address changes (limit and single default).
        if (!(await lockProfile(q, tenantId, userId)))
          throw appError('NOT_FOUND', 'no profile for this user');
        const [{ n } = { n: 0 }] = await q.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM addresses WHERE tenant_id = $1 AND user_id = $2',
          [tenantId, userId],
        );
        if (n >= options.maxAddressesPerUser) {
          throw appError('CONFLICT', `a user can keep at most ${options.maxAddressesPerUser} addresses`);
        }
        const isDefault = becomesDefault(input.isDefault, n);
        if (isDefault && n > 0) {
          await q.query(
            'UPDATE addresses SET is_default = false WHERE tenant_id = $1 AND user_id = $2 AND is_default',
            [tenantId, userId],
          );
        }
        const [row] = await q.query<AddressRow>(
          `INSERT INTO addresses (tenant_id, id, user_id, label, line1, line2, city, region, postal_code, country,
                                  is_default)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING ${ADDRESS_COLUMNS}`,
          [
            tenantId,
            randomUUID(),
            userId,
            input.label ?? null,
            input.line1,
            input.line2 ?? null,
            input.city,
            input.region ?? null,
            input.postalCode,
            input.country,
            isDefault,
          ],
        );
        if (!row) throw new Error('address insert returned nothing');
        return toAddress(row);
      });
    },

    /** Deletes one of the user's addresses; false when it is not theirs (or not there). */
    async deleteAddress(tenantId: string, userId: string, id: string): Promise<boolean> {
      return db.tx(async (q) => {
        if (!(await lockProfile(q, tenantId, userId))) return false;
        const [deleted] = await q.query<{ is_default: boolean }>(
          'DELETE FROM addresses WHERE tenant_id = $1 AND user_id = $2 AND id = $3 RETURNING is_default',
          [tenantId, userId, id],
        );
        if (!deleted) return false;
        if (deleted.is_default) {
          // The oldest remaining address becomes the default.
          await q.query(
            `UPDATE addresses SET is_default = true
              WHERE tenant_id = $1 AND id = (SELECT id FROM addresses WHERE tenant_id = $1 AND user_id = $2
                                             ORDER BY created_at, id LIMIT 1)`,
            [tenantId, userId],
          );
        }
        return true;
      });
    },
  };
}

export type ProfileRepository = ReturnType<typeof createProfileRepository>;
