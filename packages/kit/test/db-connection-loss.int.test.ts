/**
 * A connection that breaks while a statement is running on it (a network cut, a server that goes away) fails
 * that statement with a clear error and leaves the process running: pg-pool takes its own 'error' listener
 * off a connection for as long as it is checked out, so `Db` listens itself, for a lone statement and for a
 * transaction alike, and the broken connection is not handed out again. PostgreSQL behind a TCP proxy that
 * the test cuts.
 */
import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDb, type Db } from '../src/db.js';
import { createTestDatabase, type TestDatabase } from '../src/testing/index.js';

let database: TestDatabase;
let proxy: net.Server;
const links = new Set<net.Socket>();
let db: Db;

beforeAll(async () => {
  database = await createTestDatabase('gbconnloss');
  const target = new URL(database.url);
  proxy = net.createServer((client) => {
    const server = net.connect(Number(target.port || 5432), target.hostname);
    links.add(client);
    client.on('close', () => links.delete(client));
    client.pipe(server).pipe(client);
    client.on('error', () => server.destroy());
    server.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const via = new URL(database.url);
  via.hostname = '127.0.0.1';
  via.port = String((proxy.address() as AddressInfo).port);
  db = createDb(via.toString(), { max: 2 });
});
afterAll(async () => {
  await db?.close();
  await new Promise<void>((resolve) => proxy.close(() => resolve()));
  await database?.drop();
});

/** Cuts every proxied connection once a statement is surely running on it. */
function cutSoon(): void {
  setTimeout(() => {
    for (const socket of links) socket.resetAndDestroy();
  }, 150);
}

it('fails a lone statement whose connection breaks, and the process carries on', async () => {
  cutSoon();
  await expect(db.query('SELECT pg_sleep(2)')).rejects.toThrow();
  // The broken connection is gone: the next statement gets a new one.
  expect((await db.query<{ one: number }>('SELECT 1 AS one'))[0]?.one).toBe(1);
});

it('fails a transaction whose connection breaks, and the process carries on', async () => {
  cutSoon();
  await expect(db.tx(async (q) => q.query('SELECT pg_sleep(2)'))).rejects.toThrow();
  expect((await db.query<{ one: number }>('SELECT 1 AS one'))[0]?.one).toBe(1);
  expect(await db.tx(async (q) => (await q.query<{ two: number }>('SELECT 2 AS two'))[0]?.two)).toBe(2);
});
