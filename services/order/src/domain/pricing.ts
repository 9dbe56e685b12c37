/**
 * Pricing an order from the catalog's current prices: pure arithmetic in integer cents, one currency per
 * order. Quantities and prices are integers, so totals are exact.
 */
import { MAX_AMOUNT_CENTS } from '@glassbox/contracts';

export interface RequestedItem {
  productId: string;
  quantity: number;
}

export interface CatalogProduct {
  id: string;
  sku: string;
  name: string;
  priceCents: number;
  currency: string;
}

export interface PricedLine {
  productId: string;
  sku: string;
  name: string;
  quantity: number;
  unitPriceCents: number;
  lineTotalCents: number;
}

export interface PricedOrder {
  lines: PricedLine[];
  totalCents: number;
  currency: string;
}

export type PricingResult =
  | { ok: true; priced: PricedOrder }
  | { ok: false; reason: 'PRODUCT_NOT_FOUND'; productIds: string[] }
  | { ok: false; reason: 'MIXED_CURRENCIES'; currencies: string[] }
  | { ok: false; reason: 'ORDER_TOTAL_TOO_LARGE'; totalCents: number; maxCents: number };

/** Indexes (in the request) of items naming a product an earlier item already named. */
export function duplicateItems(items: readonly RequestedItem[]): number[] {
  const seen = new Set<string>();
  const duplicates: number[] = [];
  items.forEach((item, index) => {
    const id = item.productId.toLowerCase();
    if (seen.has(id)) duplicates.push(index);
    seen.add(id);
  });
  return duplicates;
}

/**
 * Prices the items; an order must be payable in one payment (`maxTotalCents`, the shop's MAX_AMOUNT_CENTS), so a
 * larger total is refused here, in the shop's words, before any stock is reserved.
 */
export function priceItems(
  items: readonly RequestedItem[],
  products: readonly CatalogProduct[],
  maxTotalCents: number = MAX_AMOUNT_CENTS,
): PricingResult {
  const byId = new Map(products.map((p) => [p.id.toLowerCase(), p]));
  const missing = items.filter((i) => !byId.has(i.productId.toLowerCase())).map((i) => i.productId);
  if (missing.length > 0) return { ok: false, reason: 'PRODUCT_NOT_FOUND', productIds: missing };
  const lines = items.map((item) => {
    const product = byId.get(item.productId.toLowerCase()) as CatalogProduct;
    return {
      productId: item.productId,
      sku: product.sku,
      name: product.name,
      quantity: item.quantity,
      unitPriceCents: product.priceCents,
      lineTotalCents: product.priceCents * item.quantity,
      currency: product.currency,
    };
  });
  const currencies = [...new Set(lines.map((l) => l.currency))];
  if (currencies.length !== 1) return { ok: false, reason: 'MIXED_CURRENCIES', currencies };
  const totalCents = lines.reduce((sum, l) => sum + l.lineTotalCents, 0);
  if (totalCents > maxTotalCents) {
    return { ok: false, reason: 'ORDER_TOTAL_TOO_LARGE', totalCents, maxCents: maxTotalCents };
  }
  return {
    ok: true,
    priced: {
      lines: lines.map(({ currency: _currency, ...line }) => line),
      totalCents,
      currency: currencies[0] as string,
    },
  };
}
