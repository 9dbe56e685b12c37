/**
 * The kit's own tables in a service's database — the outbox, the inbox, the sagas — created and upgraded by the kit,
 * not by SQL copied into every service. Each table has its own numbered steps, recorded in
 * `kit_schema_migrations (component, version)` (the service's own `schema_migrations` stays the service's),
 * applied under an advisory lock so replicas starting together do not race. `runService` applies them when
 * the service names them (`database.kitTables`).
 */
import type { Db } from './db.js';
import type { Logger } from './logger.js';

export type KitTable = 'outbox' | 'inbox' | 'sagas';

const MIGRATIONS: Record<KitTable, { version: number; sql: string }[]> = {
  sagas: [
    {
      version: 1,
      sql: `
        -- The persisted progress of every saga a service orchestrates (see src/saga/). One row per saga instance,
        -- keyed by its type ('checkout', …) and an id the owning service chooses (the order id, …).
        CREATE TABLE sagas (
          type             text NOT NULL,
          id               uuid NOT NULL,
          tenant_id        uuid NOT NULL,
          status           text NOT NULL CHECK (status IN ('RUNNING', 'COMPENSATING', 'COMPLETED', 'FAILED')),
          -- RUNNING: index of the next step to invoke; COMPENSATING: of the next step to undo.
          position         integer NOT NULL DEFAULT 0,
          -- What the steps need (secrets such as a card token are erased as soon as no step needs them).
          input            jsonb NOT NULL,
          -- What each completed step returned, by step name: what its compensation needs.
          results          jsonb NOT NULL DEFAULT '{}',
          failure          jsonb,
          -- Consecutive transient failures at the current position, and when the saga is due again.
          attempts         integer NOT NULL DEFAULT 0,
          next_attempt_at  timestamptz NOT NULL DEFAULT now(),
          -- Who runs the saga, until when: a worker writes only while it holds the lease (the fence); an expired lease is
          -- taken over by the recovery loop (FOR UPDATE SKIP LOCKED), so two workers never advance one saga.
          lease_owner      text,
          lease_until      timestamptz,
          -- Where the saga began: the W3C traceparent and request id of the request, for correlation on resume.
          traceparent      text,
          request_id       text,
          -- Asked to stop: it does so before its pivot step and compensates.
          cancel_requested_at timestamptz,
          started_at       timestamptz NOT NULL DEFAULT now(),
          finished_at      timestamptz,
          updated_at       timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (type, id),
          CHECK ((status IN ('COMPLETED', 'FAILED')) = (finished_at IS NOT NULL))
        );
        CREATE INDEX sagas_due ON sagas (type, next_attempt_at) WHERE status IN ('RUNNING', 'COMPENSATING');`,
    },
  ],
  outbox: [
    {
      version: 1,
      sql: `
        -- Events written in the same transaction as the state change they announce; the relay publishes
        -- them in seq order and marks them sent (at least once: a crash after the publish sends again).
        CREATE TABLE outbox (
          seq              bigserial   PRIMARY KEY,
          id               uuid        NOT NULL UNIQUE,
          type             text        NOT NULL,
          event            jsonb       NOT NULL,
          created_at       timestamptz NOT NULL DEFAULT now(),
          attempts         integer     NOT NULL DEFAULT 0,
          next_attempt_at  timestamptz NOT NULL DEFAULT now(),
          last_error       text,
          sent_at          timestamptz
        );
        CREATE INDEX outbox_pending ON outbox (seq) WHERE sent_at IS NULL;
        CREATE INDEX outbox_sent ON outbox (sent_at) WHERE sent_at IS NOT NULL;`,
    },
  ],
  inbox: [
    {
      version: 1,
      sql: `
        -- Events a consumer group has processed, recorded in the transaction that processed them, so a
        -- redelivery is recognised and skipped.
        CREATE TABLE inbox (
          consumer      text        NOT NULL,
          event_id      text        NOT NULL,
          type          text        NOT NULL,
          processed_at  timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (consumer, event_id)
        );
        CREATE INDEX inbox_processed ON inbox (processed_at);`,
    },
  ],
};

const LOCK_KEY = 7_346_113;

/** Creates or upgrades the named kit tables; returns the steps it applied (`outbox@1`, …). */
export async function migrateKitTables(
  db: Db,
  tables: readonly KitTable[],
  logger?: Logger,
): Promise<string[]> {
  if (tables.length === 0) return [];
  const client = await db.pool.connect();
  const applied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_KEY]);
    await client.query(`CREATE TABLE IF NOT EXISTS kit_schema_migrations (
      component text NOT NULL, version integer NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (component, version))`);
    const done = new Set(
      (
        await client.query<{ component: string; version: number }>(
          'SELECT component, version FROM kit_schema_migrations',
        )
      ).rows.map((r) => `${r.component}@${r.version}`),
    );
    for (const table of tables) {
      for (const step of MIGRATIONS[table]) {
        const key = `${table}@${step.version}`;
        if (done.has(key)) continue;
        await client.query('BEGIN');
        try {
          await client.query(step.sql);
          await client.query('INSERT INTO kit_schema_migrations (component, version) VALUES ($1, $2)', [
            table,
            step.version,
          ]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK').catch(() => {});
          throw new Error(`kit migration ${key} failed: ${(error as Error).message}`, { cause: error });
        }
        applied.push(key);
        logger?.info({ migration: key }, 'kit migration applied');
      }
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]).catch(() => {});
    client.release();
  }
  return applied;
}
