import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from './cursor.js';

describe('notification cursors', () => {
  const cursor = { createdAt: '2026-12-05T21:40:47.123456Z', id: '11111111-2222-4333-8444-555555555555' };

  it('round-trips', () => {
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
  });

  it('refuses anything it did not make', () => {
    for (const text of ['', 'nope!', 'x'.repeat(201), Buffer.from('2026|x').toString('base64url')]) {
      expect(decodeCursor(text), text).toBeUndefined();
    }
    const extra = Buffer.from(`${cursor.createdAt}|${cursor.id}|more`).toString('base64url');
    expect(decodeCursor(extra)).toBeUndefined();
  });
});
