/**
 * The kit's saga runtime against real PostgreSQL: the `sagas` table, leases fenced by owner, a projection into
 * the owning service's own table in the transaction of the save, secrets dropped from the input, the backlog,
 * and a worker that resumes a saga whose process died.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../src/db.js';
import { migrateKitTables } from '../src/kit-tables.js';
import { createLogger } from '../src/logger.js';
import {
  createSagaStore,
  createSagaWorker,
  definitiveError,
  initialState,
  type SagaDefinition,
  type SagaState,
} from '../src/saga/index.js';
import { createTestDatabase, type TestDatabase } from '../src/testing/index.js';

interface Input {
  secret: string | null;
  fail?: boolean;
}
interface Results {
  first: { n: number };
  second: { n: number };
}

const TENANT = randomUUID();
let database: TestDatabase;
let db: Db;
const logger = createLogger('saga-test', 'silent');

beforeAll(async () => {
  database = await createTestDatabase('gbsaga');
  db = createDb(database.url);
  await migrateKitTables(db, ['sagas']);
  await db.query('CREATE TABLE things (id uuid PRIMARY KEY, state text NOT NULL)');
});
afterAll(async () => {
  await db?.close();
  await database?.drop();
});

/** Two steps; `second` fails definitively when asked to; the owner's `things` row follows the saga. */
function definition(log: string[]): SagaDefinition<Input, Results> {
  return {
    type: 'demo',
    steps: () => [
      {
        name: 'first',
        async invoke(input) {
          log.push(`first:${input.secret}`);
          return { n: 1 };
        },
        async compensate() {
          log.push('undo first');
        },
      },
      {
        name: 'second',
        async invoke(input) {
          log.push(`second:${input.secret}`);
          if (input.fail) throw definitiveError('NOPE', 'refused');
          return { n: 2 };
        },
        async compensate() {
          log.push('undo second');
        },
      },
    ],
    project(saga, _state, event) {
      if (event.type !== 'completed' && event.type !== 'failed') return undefined;
      return async (q) => {
        await q.query('UPDATE things SET state = $2 WHERE id = $1', [saga.id, event.type]);
      };
    },
    retainInput: (input, state) =>
      state.results.first === undefined || input.secret === null ? input : { ...input, secret: null },
  };
}

async function newSaga(input: Input, leaseOwner?: string) {
  const id = randomUUID();
  const store = createSagaStore<Input, Results>(db, 'demo');
  await db.tx(async (q) => {
    await q.query("INSERT INTO things (id, state) VALUES ($1, 'new')", [id]);
    await store.create(q, {
      id,
      tenantId: TENANT,
      input,
      ...(leaseOwner ? { leaseOwner, leaseMs: 60_000 } : {}),
    });
  });
  return id;
}

const row = async (id: string) =>
  (
    await db.query<{ status: string; input: Input; lease_owner: string | null; state: string }>(
      `SELECT s.status, s.input, s.lease_owner, t.state FROM sagas s JOIN things t ON t.id = s.id
       WHERE s.type = 'demo' AND s.id = $1`,
      [id],
    )
  )[0];

function worker(log: string[], workerId: string) {
  return createSagaWorker({
    definition: definition(log),
    store: createSagaStore<Input, Results>(db, 'demo'),
    logger,
    workerId,
    leaseMs: 2_000,
    recoveryIntervalMs: 60_000,
    maxAttempts: 3,
    maxCompensationAttempts: 3,
    retryBaseMs: 10,
    retryMaxMs: 10,
  });
}

describe('sagas in PostgreSQL', () => {
  it('runs a saga to the end, projects the end into the owner’s table, and drops the secret once used', async () => {
    const log: string[] = [];
    const w = worker(log, 'w-run');
    const id = await newSaga({ secret: 'tok' }, w.workerId);
    const outcome = await w.run(
      id,
      'request',
      w.fresh({
        id,
        tenantId: TENANT,
        input: { secret: 'tok' },
        startedAt: new Date(),
        traceparent: null,
        requestId: null,
      }),
    );
    expect(outcome.kind).toBe('completed');
    expect(log).toEqual(['first:tok', 'second:tok']);
    expect(await row(id)).toEqual({
      status: 'COMPLETED',
      input: { secret: null },
      lease_owner: null,
      state: 'completed',
    });
  });

  it('compensates a definitive failure in reverse and projects FAILED', async () => {
    const log: string[] = [];
    const w = worker(log, 'w-fail');
    const id = await newSaga({ secret: 's', fail: true }, w.workerId);
    await w.run(
      id,
      'request',
      w.fresh({
        id,
        tenantId: TENANT,
        input: { secret: 's', fail: true },
        startedAt: new Date(),
        traceparent: null,
        requestId: null,
      }),
    );
    expect(log).toEqual(['first:s', 'second:s', 'undo second', 'undo first']);
    expect((await row(id))?.state).toBe('failed');
  });

  it('fences every write by the lease: a worker that lost the saga changes nothing, not even the projection', async () => {
    const store = createSagaStore<Input, Results>(db, 'demo');
    const id = await newSaga({ secret: 'x' }, 'holder');
    const done: SagaState<Results> = { ...initialState<Results>(), status: 'COMPLETED', position: 2 };
    let projected = false;
    const saved = await store.save(
      id,
      'intruder',
      done,
      { type: 'completed' },
      {
        project: async () => {
          projected = true;
        },
      },
    );
    expect(saved.held).toBe(false);
    expect(projected).toBe(false);
    expect(await store.renewLease(id, 'intruder', 1_000)).toBe(false);
    expect(await store.renewLease(id, 'holder', 1_000)).toBe(true);
    expect((await row(id))?.status).toBe('RUNNING');
    // A projection that fails rolls the saga's own save back with it.
    await expect(
      store.save(
        id,
        'holder',
        done,
        { type: 'completed' },
        {
          project: async (q) => {
            await q.query('SELECT * FROM no_such_table');
          },
        },
      ),
    ).rejects.toThrow();
    expect((await row(id))?.status).toBe('RUNNING');
  });

  it('counts the unfinished sagas and the age of the oldest', async () => {
    const store = createSagaStore<Input, Results>(db, 'demo');
    const before = await store.backlog();
    const id = await newSaga({ secret: null });
    await db.query(
      "UPDATE sagas SET started_at = now() - interval '90 seconds' WHERE type = 'demo' AND id = $1",
      [id],
    );
    const after = await store.backlog();
    expect(after.count).toBe(before.count + 1);
    expect(after.oldestAgeSeconds).toBeGreaterThanOrEqual(90);
    expect(after.oldestAgeSeconds).toBeLessThan(120);
    // Other saga types are not counted.
    expect((await createSagaStore(db, 'other').backlog()).count).toBe(0);
    await db.query(
      "UPDATE sagas SET status = 'FAILED', finished_at = now() WHERE type = 'demo' AND id = $1",
      [id],
    );
  });

  it('resumes a saga whose worker died (its lease ran out), exactly once across two workers', async () => {
    // Finish every earlier unfinished saga so only this one is due.
    await db.query(
      "UPDATE sagas SET status = 'FAILED', finished_at = now() WHERE status IN ('RUNNING', 'COMPENSATING')",
    );
    const log: string[] = [];
    const id = await newSaga({ secret: 'resume' }, 'dead-worker');
    await db.query(
      "UPDATE sagas SET lease_until = now() - interval '1 second' WHERE type = 'demo' AND id = $1",
      [id],
    );
    const a = worker(log, 'w-a');
    const b = worker(log, 'w-b');
    const [na, nb] = await Promise.all([a.recoverOnce(), b.recoverOnce()]);
    expect(na + nb).toBe(1);
    const deadline = Date.now() + 10_000;
    while ((await row(id))?.status !== 'COMPLETED' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect((await row(id))?.status).toBe('COMPLETED');
    expect(log).toEqual(['first:resume', 'second:resume']);
    await Promise.all([a.stop(), b.stop()]);
  });
});
