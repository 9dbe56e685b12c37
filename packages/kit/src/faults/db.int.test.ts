import { FAULT_CATALOGUE, type Fault, type FaultKind } from '@glassbox/contracts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../db.js';
import { createTestDatabase, type TestDatabase } from '../testing/index.js';
import { setActiveFaults } from './state.js';

let database: TestDatabase;
let db: Db;
let n = 0;

function fault(kind: FaultKind, params: Fault['params'] = {}): Fault {
  const defaults = Object.fromEntries(
    Object.entries(FAULT_CATALOGUE[kind].params).map(([k, spec]) => [k, spec.default]),
  );
  return {
    id: `db-${++n}`,
    kind,
    service: 'unit',
    params: { ...defaults, ...params },
    startedAt: new Date().toISOString(),
    endsAt: new Date(Date.now() + 60_000).toISOString(),
    endedAt: null,
    by: 'test',
  };
}

beforeAll(async () => {
  database = await createTestDatabase('gbfault');
  db = createDb(database.url, { max: 3, connectionTimeoutMillis: 500 });
});
afterEach(() => setActiveFaults([]));
afterAll(async () => {
  await db?.close();
  await database?.drop();
});

const timed = async (fn: () => Promise<unknown>) => {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
};

describe('the pg pool seam', () => {
  it('db-slow delays every statement and transaction, and stops when cleared', async () => {
    setActiveFaults([fault('db-slow', { ms: 300, jitterMs: 0 })]);
    expect(await timed(() => db.query('SELECT 1'))).toBeGreaterThanOrEqual(290);
    expect(await timed(() => db.tx((q) => q.query('SELECT 1')))).toBeGreaterThanOrEqual(290);
    setActiveFaults([]);
    expect(await timed(() => db.query('SELECT 1'))).toBeLessThan(250);
  });

  it('db-down fails statements as an unreachable server would, until cleared', async () => {
    setActiveFaults([fault('db-down')]);
    await expect(db.query('SELECT 1')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(db.ping()).rejects.toThrow(/unreachable/);
    setActiveFaults([]);
    expect(await db.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });

  it('pool-exhaustion holds every connection: statements time out waiting, then run once it ends', async () => {
    setActiveFaults([fault('pool-exhaustion')]);
    const deadline = Date.now() + 5_000;
    // Every connection checked out by the fault.
    while (!(db.pool.totalCount === 3 && db.pool.idleCount === 0)) {
      if (Date.now() > deadline) throw new Error('the pool was not exhausted');
      await new Promise((r) => setTimeout(r, 20));
    }
    await expect(db.query('SELECT 1')).rejects.toThrow(/timeout/i);
    setActiveFaults([]);
    expect(await db.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });
});
