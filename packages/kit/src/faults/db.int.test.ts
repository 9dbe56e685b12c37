import { FAULT_CATALOGUE, type Fault, type FaultKind } from '@glassbox/contracts';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../db.js';
import { createTestDatabase, type TestDatabase } from '../testing/index.js';
import { captureTelemetry } from '../testing/telemetry.js';
import { setActiveFaults } from './state.js';

// The kit's instruments are made when db.js loads: the in-memory SDK must be global before it does.
const telemetry = captureTelemetry();
const { connectionErrorType, createDb } = await import('../db.js');

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
  await telemetry.shutdown();
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

  it('db-slow spends its delay in the database, on the statement’s own connection (what a slow server does)', async () => {
    setActiveFaults([fault('db-slow', { ms: 1500, jitterMs: 0 })]);
    const slow = db.query<{ one: number }>('SELECT 1 AS one');
    const observer = new pg.Client({ connectionString: database.url });
    await observer.connect();
    try {
      let sleeping: Array<{ query: string }> = [];
      const deadline = Date.now() + 1_200;
      while (sleeping.length === 0 && Date.now() < deadline) {
        ({ rows: sleeping } = await observer.query<{ query: string }>(
          `SELECT query FROM pg_stat_activity
            WHERE datname = current_database() AND state = 'active' AND query LIKE '%pg_sleep%'
              AND pid <> pg_backend_pid()`,
        ));
      }
      expect(sleeping.map((r) => r.query)).toEqual(['SELECT pg_sleep($1)']);
    } finally {
      await observer.end();
    }
    expect(await slow).toEqual([{ one: 1 }]);
  });

  it('db-down fails statements as an unreachable server would, until cleared', async () => {
    setActiveFaults([fault('db-down')]);
    await expect(db.query('SELECT 1')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(db.ping()).rejects.toThrow(/unreachable/);
    setActiveFaults([]);
    expect(await db.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });

  it('counts every failure to reach the database (glassbox.db.connection.failures), and nothing else', async () => {
    const failures = () => telemetry.sum('glassbox.db.connection.failures', { 'error.type': 'ECONNREFUSED' });
    const all = () => telemetry.sum('glassbox.db.connection.failures');
    const before = await failures();
    setActiveFaults([fault('db-down')]);
    await expect(db.query('SELECT 1')).rejects.toThrow(/unreachable/);
    await expect(db.ping()).rejects.toThrow(/unreachable/);
    await expect(db.tx((q) => q.query('SELECT 1'))).rejects.toThrow(/unreachable/);
    expect(await failures()).toBe(before + 3);
    const points = await telemetry.points('glassbox.db.connection.failures');
    expect(points.map((p) => p.attributes['db.namespace'])).toContain(database.name);
    setActiveFaults([]);
    // The server refusing a statement, or the caller's own error inside a transaction, is no connection failure.
    const total = await all();
    await expect(db.query('SELEC 1')).rejects.toMatchObject({ code: '42601' });
    await expect(
      db.tx(async () => {
        throw Object.assign(new Error('connect ECONNREFUSED (another service)'), { code: 'ECONNREFUSED' });
      }),
    ).rejects.toThrow(/another service/);
    expect(await all()).toBe(total);
  });

  it('tells connection failures from other errors', () => {
    expect(connectionErrorType(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe('ECONNRESET');
    expect(connectionErrorType(Object.assign(new Error('x'), { code: '57P01' }))).toBe('57P01');
    expect(connectionErrorType(Object.assign(new Error('x'), { code: '08006' }))).toBe('08006');
    expect(connectionErrorType(new Error('timeout exceeded when trying to connect'))).toBe('connect_timeout');
    expect(connectionErrorType(new Error('Connection terminated unexpectedly'))).toBe(
      'connection_terminated',
    );
    expect(connectionErrorType(Object.assign(new Error('x'), { code: '23505' }))).toBeUndefined();
    expect(
      connectionErrorType(Object.assign(new Error('canceling statement'), { code: '57014' })),
    ).toBeUndefined();
    expect(connectionErrorType(undefined)).toBeUndefined();
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
