/**
 * The drill's order audit against a real PostgreSQL database holding the order service's schema: an accepted
 * order that is not there is lost; an idempotency key holding two orders is a duplicate.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '@glassbox/kit/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../stack.js';
import { auditOrders } from './runner.js';

let db: TestDatabase;
const tenant = randomUUID();
const insert = async (id: string, user: string, key: string) => {
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    await c.query(
      `INSERT INTO orders (id, tenant_id, user_id, idempotency_key, request_hash) VALUES ($1, $2, $3, $4, 'h')`,
      [id, tenant, user, key],
    );
  } finally {
    await c.end();
  }
};

beforeAll(async () => {
  db = await createTestDatabase('gbdrillorders');
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    await c.query(await readFile(path.join(REPO_ROOT, 'services/order/migrations/001_init.sql'), 'utf8'));
  } finally {
    await c.end();
  }
});
afterAll(() => db?.drop());

describe('the drill’s order audit', () => {
  it('counts every accepted order found, names the lost ones and the duplicated keys', async () => {
    const a = { id: randomUUID(), idempotencyKey: randomUUID() };
    const b = { id: randomUUID(), idempotencyKey: randomUUID() };
    const lost = { id: randomUUID(), idempotencyKey: randomUUID() };
    await insert(a.id, 'u1', a.idempotencyKey);
    await insert(b.id, 'u1', b.idempotencyKey);
    expect(await auditOrders(db.url, [a, b])).toEqual({ accepted: 2, found: 2, lost: [], duplicated: [] });

    expect(await auditOrders(db.url, [a, b, lost])).toEqual({
      accepted: 3,
      found: 2,
      lost: [lost.id],
      duplicated: [],
    });
    await insert(randomUUID(), 'u2', b.idempotencyKey);
    expect((await auditOrders(db.url, [a, b])).duplicated).toEqual([b.idempotencyKey]);
  });
});
