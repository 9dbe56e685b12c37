import { createHash } from 'node:crypto';

/** A product as the catalog's public listing shows it. */
export interface ProductSummary {
  id: string;
  sku: string;
  name: string;
  priceCents: number;
  currency: string;
}

export interface Product extends ProductSummary {
  description: string | null;
  category: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface NewProduct {
  sku: string;
  name: string;
  description?: string | null;
  category?: string | null;
  priceCents: number;
  currency: string;
}

export type ProductChanges = Partial<NewProduct>;

/** The editable fields and their columns; nothing else can be written by an update. */
export const EDITABLE_COLUMNS: Readonly<Record<keyof NewProduct, string>> = {
  sku: 'sku',
  name: 'name',
  description: 'description',
  category: 'category',
  priceCents: 'price_cents',
  currency: 'currency',
};

export function toSummary(product: ProductSummary): ProductSummary {
  return {
    id: product.id,
    sku: product.sku,
    name: product.name,
    priceCents: product.priceCents,
    currency: product.currency,
  };
}

/**
 * A fingerprint of a create request, to tell a repeated request (same Idempotency-Key, same body) from a
 * reused key (same key, other body). Key order and absent-vs-undefined members do not matter.
 */
export function requestFingerprint(input: NewProduct): string {
  const canonical = {
    sku: input.sku,
    name: input.name,
    description: input.description ?? null,
    category: input.category ?? null,
    priceCents: input.priceCents,
    currency: input.currency,
  };
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}
