import { createHttpClient, type Db, INTERNAL_TOKEN_HEADER, type Logger, TENANT_HEADER } from '@glassbox/kit';
import type { ProfileSync } from '../domain/auth-service.js';

interface OutboxRow {
  tenant_id: string;
  user_id: string;
  email: string;
  name: string;
  attempts: number;
}

export interface ProfileOutbox extends ProfileSync {
  /** Delivers up to `limit` due profiles; returns how many were delivered. */
  relay(limit?: number): Promise<number>;
  /** Undelivered profiles and the age of the oldest (the OutboxBacklogStale alert watches it). */
  backlog(): Promise<{ oldestAgeSeconds: number; count: number }>;
}

/** Backoff for the n-th failed attempt: 1 s, 2 s, 4 s … capped at 5 min. */
export function retryDelayMs(attempts: number): number {
  return Math.min(300_000, 1_000 * 2 ** Math.max(0, attempts - 1));
}

/**
 * The profiles of newly registered users, delivered to the user service (`POST /internal/profiles`, idempotent).
 * The row is written in the registration's transaction; delivery is tried right after the commit and retried by
 * `relay` (run periodically) until it succeeds, so a user-service outage never loses a profile.
 */
export function createProfileOutbox(options: {
  db: Db;
  userUrl: string;
  internalToken: string;
  logger: Logger;
}): ProfileOutbox {
  const { db, logger } = options;
  const client = createHttpClient({
    name: 'user',
    baseUrl: options.userUrl,
    // Registration waits for the first attempt: keep it short; the relay retries whatever fails.
    timeoutMs: 1_000,
    retries: 1,
    headers: { [INTERNAL_TOKEN_HEADER]: options.internalToken },
  });

  async function deliver(row: OutboxRow): Promise<boolean> {
    try {
      await client.json({
        method: 'POST',
        path: '/internal/profiles',
        headers: { [TENANT_HEADER]: row.tenant_id },
        body: { userId: row.user_id, email: row.email, name: row.name },
        retry: true,
      });
      await db.query(
        `UPDATE profile_outbox SET delivered_at = now(), attempts = attempts + 1, last_error = NULL
          WHERE tenant_id = $1 AND user_id = $2`,
        [row.tenant_id, row.user_id],
      );
      return true;
    } catch (error) {
      const message = (error as Error).message;
      const attempts = row.attempts + 1;
      await db.query(
        `UPDATE profile_outbox
            SET attempts = $3, last_error = $4, next_attempt_at = now() + make_interval(secs => $5)
          WHERE tenant_id = $1 AND user_id = $2 AND delivered_at IS NULL`,
        [row.tenant_id, row.user_id, attempts, message.slice(0, 500), retryDelayMs(attempts) / 1000],
      );
      logger.warn(
        { tenant_id: row.tenant_id, user_id: row.user_id, attempts, err: message },
        'profile not delivered to the user service yet; will retry',
      );
      return false;
    }
  }

  return {
    async deliverNow(tenantId, userId) {
      const [row] = await db.query<OutboxRow>(
        `SELECT tenant_id, user_id, email, name, attempts FROM profile_outbox
          WHERE tenant_id = $1 AND user_id = $2 AND delivered_at IS NULL`,
        [tenantId, userId],
      );
      if (row) await deliver(row);
    },

    async backlog() {
      const [row] = await db.query<{ count: number; age: number }>(
        `SELECT count(*)::int AS count,
                coalesce(extract(epoch FROM clock_timestamp() - min(created_at)), 0)::float8 AS age
           FROM profile_outbox WHERE delivered_at IS NULL`,
      );
      return { oldestAgeSeconds: row?.age ?? 0, count: row?.count ?? 0 };
    },

    async relay(limit = 50) {
      // Claim due rows by pushing their next attempt out, so concurrent relays (replicas) do not double-send.
      const due = await db.query<OutboxRow>(
        `UPDATE profile_outbox SET next_attempt_at = now() + interval '30 seconds'
          WHERE (tenant_id, user_id) IN (
            SELECT tenant_id, user_id FROM profile_outbox
             WHERE delivered_at IS NULL AND next_attempt_at <= now()
             ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
          RETURNING tenant_id, user_id, email, name, attempts`,
        [limit],
      );
      let delivered = 0;
      for (const row of due) if (await deliver(row)) delivered++;
      return delivered;
    },
  };
}
