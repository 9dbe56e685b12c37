import { describe, expect, it } from 'vitest';
import { requestFingerprint, toSummary } from './product.js';

const base = { sku: 'GB-1', name: 'Mug', priceCents: 1800, currency: 'EUR' };

describe('requestFingerprint', () => {
  it('is the same for the same request whatever the key order or an absent optional field', () => {
    expect(requestFingerprint({ ...base })).toBe(
      requestFingerprint({ currency: 'EUR', priceCents: 1800, name: 'Mug', sku: 'GB-1', description: null }),
    );
  });

  it('differs when any field differs', () => {
    const fp = requestFingerprint(base);
    expect(requestFingerprint({ ...base, priceCents: 1801 })).not.toBe(fp);
    expect(requestFingerprint({ ...base, category: 'tableware' })).not.toBe(fp);
    expect(requestFingerprint({ ...base, description: '' })).not.toBe(fp);
    expect(requestFingerprint({ ...base, sku: 'GB-2' })).not.toBe(fp);
  });
});

describe('toSummary', () => {
  it('keeps only the listing fields', () => {
    expect(
      toSummary({
        ...base,
        id: 'x',
        description: 'd',
        category: 'c',
        createdAt: 't',
        updatedAt: 't',
      } as Parameters<typeof toSummary>[0]),
    ).toEqual({ id: 'x', sku: 'GB-1', name: 'Mug', priceCents: 1800, currency: 'EUR' });
  });
});
