import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from './cursor.js';

const id = '00000000-0000-4000-8000-000000001001';

describe('product listing cursor', () => {
  it('round-trips a position, including awkward names', () => {
    for (const name of ['Espresso Beans 1kg', '', 'Ümlaut & "quotes" / slashes', '日本茶', 'a,b;c=d']) {
      const cursor = encodeCursor({ name, id });
      expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(decodeCursor(cursor)).toEqual({ name, id });
    }
  });

  it('normalises the id to lower case', () => {
    expect(decodeCursor(encodeCursor({ name: 'x', id: id.toUpperCase() }))?.id).toBe(id);
  });

  it('rejects anything it did not make', () => {
    const wrap = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    for (const bad of [
      '',
      'not base64!',
      'e30', // {}
      Buffer.from('not json').toString('base64url'),
      wrap(null),
      wrap([1, 2]),
      wrap({ v: 2, n: 'x', i: id }),
      wrap({ v: 1, n: 5, i: id }),
      wrap({ v: 1, n: 'x', i: 'not-a-uuid' }),
      wrap({ v: 1, n: 'x', i: "1'; DROP TABLE products; --" }),
      'A'.repeat(2_000),
    ]) {
      expect(decodeCursor(bad), bad).toBeUndefined();
    }
  });
});
