import type { Db } from '@glassbox/kit';
import type { RefreshTokenStore } from '../app/auth-service.js';
import type { StoredRefreshToken } from '../domain/tokens.js';

interface Row {
  tenant_id: string;
  user_id: string;
  family_id: string;
  secret_hash: string;
  expires_at: Date;
  used_at: Date | null;
  revoked_at: Date | null;
}

function toStored(row: Row): StoredRefreshToken {
  return {
    secretHash: row.secret_hash,
    expiresAt: row.expires_at,
    usedAt: row.used_at,
    revokedAt: row.revoked_at,
  };
}

const COLUMNS = 'tenant_id, user_id, family_id, secret_hash, expires_at, used_at, revoked_at';

/**
 * Refresh tokens. Looked up by their random id (the token carries no tenant; the row does), rotated under a row
 * lock so two concurrent refreshes with one token cannot both succeed.
 */
export function createRefreshTokenRepository(db: Db): RefreshTokenStore & {
  deleteExpired(olderThanSeconds: number): Promise<number>;
} {
  return {
    async save(user, token, expiresAt) {
      await db.query(
        `INSERT INTO refresh_tokens (id, tenant_id, user_id, family_id, secret_hash, expires_at)
         VALUES ($1, $2, $3, $1, $4, $5)`,
        [token.id, user.tenantId, user.userId, token.secretHash, expiresAt],
      );
    },

    async exchange(id, judge, next, nextExpiresAt) {
      return db.tx(async (q) => {
        const [row] = await q.query<Row>(`SELECT ${COLUMNS} FROM refresh_tokens WHERE id = $1 FOR UPDATE`, [
          id,
        ]);
        const verdict = judge(row ? toStored(row) : undefined);
        if (!row || verdict === 'reject') return { verdict };
        if (verdict === 'reuse') {
          await q.query(
            `UPDATE refresh_tokens SET revoked_at = now()
              WHERE tenant_id = $1 AND family_id = $2 AND revoked_at IS NULL`,
            [row.tenant_id, row.family_id],
          );
          return { verdict };
        }
        await q.query('UPDATE refresh_tokens SET used_at = now() WHERE tenant_id = $1 AND id = $2', [
          row.tenant_id,
          id,
        ]);
        await q.query(
          `INSERT INTO refresh_tokens (id, tenant_id, user_id, family_id, secret_hash, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6)`,
          [next.id, row.tenant_id, row.user_id, row.family_id, next.secretHash, nextExpiresAt],
        );
        return { verdict, tenantId: row.tenant_id, userId: row.user_id };
      });
    },

    async find(id) {
      const [row] = await db.query<Row>(`SELECT ${COLUMNS} FROM refresh_tokens WHERE id = $1`, [id]);
      return row ? toStored(row) : undefined;
    },

    async revokeFamily(id) {
      await db.query(
        `UPDATE refresh_tokens r SET revoked_at = now()
           FROM refresh_tokens t
          WHERE t.id = $1 AND r.tenant_id = t.tenant_id AND r.family_id = t.family_id AND r.revoked_at IS NULL`,
        [id],
      );
    },

    async deleteExpired(olderThanSeconds) {
      const rows = await db.query<{ id: string }>(
        `DELETE FROM refresh_tokens WHERE expires_at < now() - make_interval(secs => $1) RETURNING id`,
        [olderThanSeconds],
      );
      return rows.length;
    },
  };
}
