/**
 * SQL of notifications, order owners (and the payment events waiting for one) and recipients. Every read names
 * the tenant and the user; a notification is written once per (tenant, user, event) — a second write of the
 * same event is a no-op.
 */
import type { CloudEvent } from '@glassbox/contracts';
import type { Db, Queryable } from '@glassbox/kit';
import type { NotificationCursor } from '../domain/cursor.js';

/** First key of the notification service's transaction advisory locks on an order (the second: its hash). */
const ORDER_LOCK_CLASS = 7087;

export type NotificationStatus = 'PENDING' | 'SENT' | 'FAILED';

export interface NotificationRecord {
  id: string;
  tenantId: string;
  userId: string;
  eventId: string;
  eventType: string;
  subjectId: string | null;
  channel: 'email';
  recipient: string;
  subject: string;
  body: string;
  status: NotificationStatus;
  attempts: number;
  lastError: string | null;
  createdAt: Date;
  sentAt: Date | null;
  /** created_at as PostgreSQL renders it in UTC with microseconds (the pagination key). */
  createdKey: string;
}

interface NotificationRow {
  id: string;
  tenant_id: string;
  user_id: string;
  event_id: string;
  event_type: string;
  subject_id: string | null;
  channel: 'email';
  recipient: string;
  subject: string;
  body: string;
  status: NotificationStatus;
  attempts: number;
  last_error: string | null;
  created_at: Date;
  sent_at: Date | null;
  created_key: string;
}

const COLUMNS = `n.*, to_char(n.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_key`;

function toRecord(r: NotificationRow): NotificationRecord {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    userId: r.user_id,
    eventId: r.event_id,
    eventType: r.event_type,
    subjectId: r.subject_id,
    channel: r.channel,
    recipient: r.recipient,
    subject: r.subject,
    body: r.body,
    status: r.status,
    attempts: r.attempts,
    lastError: r.last_error,
    createdAt: r.created_at,
    sentAt: r.sent_at,
    createdKey: r.created_key,
  };
}

export interface NewNotification {
  id: string;
  tenantId: string;
  userId: string;
  eventId: string;
  eventType: string;
  subjectId: string | null;
  recipient: string;
  subject: string;
  body: string;
}

export function createNotificationRepo(db: Db) {
  return {
    /** Writes the notification unless this user has one for this event; true when written. */
    async insert(q: Queryable, n: NewNotification): Promise<boolean> {
      const rows = await q.query(
        `INSERT INTO notifications (id, tenant_id, user_id, event_id, event_type, subject_id, recipient, subject, body)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (tenant_id, user_id, event_id) DO NOTHING RETURNING id`,
        [n.id, n.tenantId, n.userId, n.eventId, n.eventType, n.subjectId, n.recipient, n.subject, n.body],
      );
      return rows.length === 1;
    },

    async rememberOwner(q: Queryable, tenantId: string, orderId: string, userId: string): Promise<void> {
      await q.query(
        `INSERT INTO order_owners (tenant_id, order_id, user_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
        [tenantId, orderId, userId],
      );
    },

    /**
     * Serialises, until the transaction ends, the transactions that concern one order's owner: the one that
     * learns the owner (and takes the events waiting for it) and one that finds no owner (and leaves its event
     * waiting). Without it, each could miss the other's uncommitted write and an event would wait for ever.
     */
    async lockOrder(q: Queryable, tenantId: string, orderId: string): Promise<void> {
      await q.query('SELECT pg_advisory_xact_lock($1, hashtext($2)) AS locked', [
        ORDER_LOCK_CLASS,
        `${tenantId}/${orderId}`,
      ]);
    },

    /** Keeps an event for its order's owner (a redelivery of it changes nothing). */
    async waitForOwner(q: Queryable, tenantId: string, orderId: string, event: CloudEvent): Promise<void> {
      await q.query(
        `INSERT INTO waiting_for_owner (event_id, tenant_id, order_id, event) VALUES ($1, $2, $3, $4)
         ON CONFLICT DO NOTHING`,
        [event.id, tenantId, orderId, event],
      );
    },

    /** Removes and returns the events that were waiting for this order's owner, oldest first. */
    async takeWaiting(q: Queryable, tenantId: string, orderId: string): Promise<CloudEvent[]> {
      const rows = await q.query<{ event: CloudEvent; received_at: Date }>(
        'DELETE FROM waiting_for_owner WHERE tenant_id = $1 AND order_id = $2 RETURNING event, received_at',
        [tenantId, orderId],
      );
      return rows.sort((a, b) => a.received_at.getTime() - b.received_at.getTime()).map((r) => r.event);
    },

    async ownerOf(q: Queryable, tenantId: string, orderId: string): Promise<string | undefined> {
      const [row] = await q.query<{ user_id: string }>(
        'SELECT user_id FROM order_owners WHERE tenant_id = $1 AND order_id = $2',
        [tenantId, orderId],
      );
      return row?.user_id;
    },

    async rememberRecipient(
      q: Queryable,
      r: { tenantId: string; userId: string; email: string; name: string },
    ): Promise<void> {
      await q.query(
        `INSERT INTO recipients (tenant_id, user_id, email, name) VALUES ($1, $2, $3, $4)
         ON CONFLICT (tenant_id, user_id) DO UPDATE SET email = EXCLUDED.email, name = EXCLUDED.name`,
        [r.tenantId, r.userId, r.email, r.name],
      );
    },

    async recipientOf(
      q: Queryable,
      tenantId: string,
      userId: string,
    ): Promise<{ email: string; name: string } | undefined> {
      const [row] = await q.query<{ email: string; name: string }>(
        'SELECT email, name FROM recipients WHERE tenant_id = $1 AND user_id = $2',
        [tenantId, userId],
      );
      return row;
    },

    /** A user's notifications, newest first, keyset-paged; `limit + 1` rows are read to know whether more exist. */
    async list(
      tenantId: string,
      userId: string,
      page: { after?: NotificationCursor; limit: number },
    ): Promise<{ items: NotificationRecord[]; more: boolean }> {
      const values: unknown[] = [tenantId, userId];
      let where = 'n.tenant_id = $1 AND n.user_id = $2';
      if (page.after) {
        values.push(page.after.createdAt, page.after.id);
        where += ' AND (n.created_at, n.id) < ($3::timestamptz, $4::uuid)';
      }
      values.push(page.limit + 1);
      const rows = await db.query<NotificationRow>(
        `SELECT ${COLUMNS} FROM notifications n WHERE ${where}
         ORDER BY n.created_at DESC, n.id DESC LIMIT $${values.length}`,
        values,
      );
      return { items: rows.slice(0, page.limit).map(toRecord), more: rows.length > page.limit };
    },

    /**
     * Claims due e-mails for sending (FOR UPDATE SKIP LOCKED: replicas share the queue) and runs `send` on them in
     * that transaction; `send` answers each one's outcome, written before the commit.
     */
    async sendDue(
      limit: number,
      send: (
        n: NotificationRecord,
      ) => Promise<{ ok: true } | { ok: false; error: string; retryAfterMs: number | null }>,
    ): Promise<{ sent: number; failed: number; gaveUp: number }> {
      return db.tx(async (q) => {
        const rows = await q.query<NotificationRow>(
          `SELECT ${COLUMNS} FROM notifications n
            WHERE n.status = 'PENDING' AND n.next_attempt_at <= now()
            ORDER BY n.next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
          [limit],
        );
        const counts = { sent: 0, failed: 0, gaveUp: 0 };
        for (const row of rows) {
          const n = toRecord(row);
          const outcome = await send({ ...n, attempts: n.attempts + 1 });
          if (outcome.ok) {
            counts.sent++;
            await q.query(
              `UPDATE notifications SET status = 'SENT', attempts = attempts + 1, sent_at = now(), last_error = NULL
               WHERE id = $1`,
              [n.id],
            );
          } else if (outcome.retryAfterMs === null) {
            counts.gaveUp++;
            await q.query(
              `UPDATE notifications SET status = 'FAILED', attempts = attempts + 1, last_error = $2 WHERE id = $1`,
              [n.id, outcome.error.slice(0, 1_000)],
            );
          } else {
            counts.failed++;
            await q.query(
              `UPDATE notifications SET attempts = attempts + 1, last_error = $2,
                 next_attempt_at = now() + make_interval(secs => $3) WHERE id = $1`,
              [n.id, outcome.error.slice(0, 1_000), outcome.retryAfterMs / 1000],
            );
          }
        }
        return counts;
      });
    },
  };
}

export type NotificationRepo = ReturnType<typeof createNotificationRepo>;
