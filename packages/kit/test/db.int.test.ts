import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db, isUniqueViolation, migrate } from '../src/db.js';
import { createTestDatabase, type TestDatabase } from '../src/testing/index.js';

let database: TestDatabase;
let db: Db;
let dir: string;

beforeAll(async () => {
  database = await createTestDatabase('gbkit');
  db = createDb(database.url);
  dir = await mkdtemp(join(tmpdir(), 'gb-migrations-'));
  await writeFile(join(dir, '001_items.sql'), 'CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL);');
  await writeFile(join(dir, '002_seed.sql'), "INSERT INTO items VALUES (1, 'one');");
  await writeFile(join(dir, 'README.md'), 'not a migration');
});
afterAll(async () => {
  await db?.close();
  await database?.drop();
});

describe('migrate', () => {
  it('applies numbered files in order, once, even when two processes race', async () => {
    const other = createDb(database.url);
    const [a, b] = await Promise.all([migrate(db, dir), migrate(other, dir)]);
    await other.close();
    expect([...a, ...b].map((m) => m.version).sort()).toEqual([1, 2]);
    expect(await db.query('SELECT id, name FROM items')).toEqual([{ id: 1, name: 'one' }]);
    expect(await migrate(db, dir)).toEqual([]);
  });

  it('rolls back a failing migration and names it', async () => {
    await writeFile(
      join(dir, '003_bad.sql'),
      'INSERT INTO items VALUES (2, $$two$$); SELECT nope FROM nowhere;',
    );
    await expect(migrate(db, dir)).rejects.toThrow(/003_bad\.sql failed/);
    expect(await db.query('SELECT count(*)::int AS n FROM items')).toEqual([{ n: 1 }]);
    expect(await db.query('SELECT max(version) AS v FROM schema_migrations')).toEqual([{ v: 2 }]);
  });
});

describe('Db', () => {
  it('commits a transaction and rolls back on error', async () => {
    await db.tx(async (q) => q.query("INSERT INTO items VALUES (10, 'ten')"));
    await expect(
      db.tx(async (q) => {
        await q.query("INSERT INTO items VALUES (11, 'eleven')");
        await q.query("INSERT INTO items VALUES (10, 'dup')");
      }),
    ).rejects.toSatisfy(isUniqueViolation);
    const ids = (await db.query<{ id: number }>('SELECT id FROM items ORDER BY id')).map((r) => r.id);
    expect(ids).toEqual([1, 10]);
  });

  it('returns int8 as numbers', async () => {
    expect(await db.query('SELECT 9007199254740::int8 AS big')).toEqual([{ big: 9007199254740 }]);
  });
});
