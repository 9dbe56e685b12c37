import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from './cursor.js';

const cursor = { createdAt: '2026-11-22T04:01:02.123456Z', id: '0b7e3c1a-1111-4222-8333-444455556666' };

describe('order cursors', () => {
  it('round-trips, keeping microseconds', () => {
    const text = encodeCursor(cursor);
    expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(text)).toEqual(cursor);
  });

  it('refuses anything it did not make', () => {
    for (const bad of [
      '',
      'not a cursor!',
      encodeCursor({ ...cursor, id: 'x' }),
      encodeCursor({ ...cursor, createdAt: '2026-11-22' }),
      Buffer.from('a|b|c').toString('base64url'),
      'A'.repeat(201),
    ]) {
      expect(decodeCursor(bad)).toBeUndefined();
    }
  });
});
