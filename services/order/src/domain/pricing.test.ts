import { describe, expect, it } from 'vitest';
import { duplicateItems, priceItems } from './pricing.js';

const mug = {
  id: 'a0000000-0000-4000-8000-000000000001',
  sku: 'MUG',
  name: 'Mug',
  priceCents: 1800,
  currency: 'EUR',
};
const tea = {
  id: 'a0000000-0000-4000-8000-000000000002',
  sku: 'TEA',
  name: 'Tea',
  priceCents: 990,
  currency: 'EUR',
};

describe('pricing', () => {
  it('prices each line and totals in integer cents, keeping the request order', () => {
    const result = priceItems(
      [
        { productId: tea.id, quantity: 3 },
        { productId: mug.id, quantity: 2 },
      ],
      [mug, tea],
    );
    expect(result).toEqual({
      ok: true,
      priced: {
        currency: 'EUR',
        totalCents: 3 * 990 + 2 * 1800,
        lines: [
          {
            productId: tea.id,
            sku: 'TEA',
            name: 'Tea',
            quantity: 3,
            unitPriceCents: 990,
            lineTotalCents: 2970,
          },
          {
            productId: mug.id,
            sku: 'MUG',
            name: 'Mug',
            quantity: 2,
            unitPriceCents: 1800,
            lineTotalCents: 3600,
          },
        ],
      },
    });
  });

  it('matches product ids case-insensitively', () => {
    const result = priceItems([{ productId: mug.id.toUpperCase(), quantity: 1 }], [mug]);
    expect(result.ok).toBe(true);
  });

  it('names every unknown product', () => {
    const ghost = 'a0000000-0000-4000-8000-00000000dead';
    expect(
      priceItems(
        [
          { productId: mug.id, quantity: 1 },
          { productId: ghost, quantity: 1 },
        ],
        [mug],
      ),
    ).toEqual({
      ok: false,
      reason: 'PRODUCT_NOT_FOUND',
      productIds: [ghost],
    });
  });

  it('refuses to mix currencies in one order', () => {
    const usd = { ...tea, currency: 'USD' };
    const result = priceItems(
      [
        { productId: mug.id, quantity: 1 },
        { productId: tea.id, quantity: 1 },
      ],
      [mug, usd],
    );
    expect(result).toMatchObject({ ok: false, reason: 'MIXED_CURRENCIES' });
  });

  it('finds items that repeat a product', () => {
    expect(
      duplicateItems([
        { productId: mug.id, quantity: 1 },
        { productId: tea.id, quantity: 1 },
      ]),
    ).toEqual([]);
    expect(
      duplicateItems([
        { productId: mug.id, quantity: 1 },
        { productId: tea.id, quantity: 1 },
        { productId: mug.id.toUpperCase(), quantity: 2 },
      ]),
    ).toEqual([2]);
  });
});
