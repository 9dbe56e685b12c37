import { describe, expect, it } from 'vitest';
import { canonicalJson, isValidIdempotencyKey, requestHash } from './idempotency.js';

describe('request identity', () => {
  it('ignores the order of object keys but not of array items', () => {
    const a = { items: [{ productId: 'p', quantity: 1 }], payment: { method: 'card', token: 'tok_ok' } };
    const b = { payment: { token: 'tok_ok', method: 'card' }, items: [{ quantity: 1, productId: 'p' }] };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(requestHash(a)).toBe(requestHash(b));
    const swapped = { ...a, items: [{ productId: 'q', quantity: 1 }, ...a.items] };
    const again = { ...a, items: [...a.items, { productId: 'q', quantity: 1 }] };
    expect(requestHash(swapped)).not.toBe(requestHash(again));
  });

  it('tells different bodies apart', () => {
    const a = { items: [{ productId: 'p', quantity: 1 }] };
    expect(requestHash(a)).not.toBe(requestHash({ items: [{ productId: 'p', quantity: 2 }] }));
    expect(requestHash(a)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('accepts printable keys of 1 to 255 characters', () => {
    expect(isValidIdempotencyKey('6f1c0d52-6a54-4c2b-9a8b-0a1b2c3d4e5f')).toBe(true);
    expect(isValidIdempotencyKey('x'.repeat(255))).toBe(true);
    expect(isValidIdempotencyKey('')).toBe(false);
    expect(isValidIdempotencyKey('x'.repeat(256))).toBe(false);
    expect(isValidIdempotencyKey('has space')).toBe(false);
  });
});
