import type { Pool, PoolClient } from 'pg';
import { activeFaults, delayOf, markSpan, onFaultsChanged } from './state.js';

/**
 * The pg pool seam, before every statement and every checkout: `db-down` fails as a refused connection
 * would. (`db-slow` is applied by the database itself: see `slowStatementSeconds`.)
 */
export async function beforeStatement(): Promise<void> {
  const down = activeFaults('db-down')[0];
  if (down) {
    markSpan(down);
    throw Object.assign(new Error(`connect ECONNREFUSED: the database is unreachable (fault ${down.id})`), {
      code: 'ECONNREFUSED',
    });
  }
}

/**
 * `db-slow`: how long (seconds, ms ± jitterMs) the database spends before the next statement, or undefined.
 * The kit runs it as `SELECT pg_sleep(…)` on the statement's own connection, so the time is spent where a slow
 * database spends it: the connection is held, and `db.client.operation.duration` (what DbQueriesSlow reads)
 * measures it like any slow statement — a delay slept in the client would be invisible to it.
 */
export function slowStatementSeconds(): number | undefined {
  const slow = activeFaults('db-slow')[0];
  if (!slow) return undefined;
  markSpan(slow);
  return delayOf(slow) / 1000;
}

/** The statement a `db-slow` delay runs as. */
export const SLOW_STATEMENT_SQL = 'SELECT pg_sleep($1)';

/**
 * `pool-exhaustion`: while it is active every connection the pool may open is checked out and held, so the
 * service's own statements wait for a free one and time out as they would behind a leak. Returns the stop.
 */
export function exhaustPoolDuringFaults(pool: Pool, size: number): () => void {
  let held: PoolClient[] = [];
  let holding = false;
  const apply = () => {
    const active = activeFaults('pool-exhaustion').length > 0;
    if (active && !holding) {
      holding = true;
      for (let i = 0; i < size; i++) {
        pool.connect().then(
          (client) => {
            if (holding) held.push(client);
            else client.release();
          },
          () => undefined,
        );
      }
    } else if (!active && holding) {
      holding = false;
      for (const client of held) client.release();
      held = [];
    }
  };
  const off = onFaultsChanged(apply);
  apply();
  return () => {
    off();
    holding = false;
    for (const client of held) client.release();
    held = [];
  };
}
