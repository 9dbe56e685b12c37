/**
 * The catalog service's API (owned by the catalog/inventory engineer). Public paths as the gateway exposes them
 * (an access token; admin routes need role admin); errors are problem+json documents with a `code`.
 *
 * GET    /api/v1/products?search=&category=&limit=&cursor=  → 200 ProductPage (by name, keyset pagination)
 * GET    /api/v1/products/{id}                              → 200 Product; 404 unknown
 * POST   /api/v1/admin/products   NewProductRequest (optional Idempotency-Key) → 201 Product (+ Location); the
 *                                 same key and body again → 200 the same product
 * PATCH  /api/v1/admin/products/{id}   ProductChangesRequest (null clears description or category) → 200 Product
 * DELETE /api/v1/admin/products/{id}   → 204
 *
 * Internal (`x-internal-token`, `x-tenant-id`):
 * GET /internal/products?ids=a,b   (or ids=a&ids=b; 1..100 ids) → 200 CatalogProductsResponse. Unknown,
 *                                  deleted, other tenants' and malformed ids are simply absent.
 *
 * The schemas are what the routes validate and serialize with; the types are derived from them.
 */
import { type Static, Type } from 'typebox';
import { MAX_AMOUNT_CENTS } from './payment.js';

const Uuid = Type.String({ format: 'uuid' });
const Sku = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$',
  description: 'unique per tenant (case-insensitive): letters, digits, dot, dash, underscore',
});
const Name = Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' });
const Description = Type.String({ maxLength: 5_000 });
const Category = Type.String({ minLength: 1, maxLength: 64, pattern: '\\S' });
// Never more than one payment can take: a product's price must be payable.
const PriceCents = Type.Integer({ minimum: 0, maximum: MAX_AMOUNT_CENTS, description: 'minor units' });
const Currency = Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code' });

export const ProductIdParams = Type.Object({ id: Uuid });

/** A product as listed (and as the order saga prices it): `priceCents` in minor units of `currency` (ISO 4217). */
export const CatalogProductSummary = Type.Object({
  id: Uuid,
  sku: Type.String(),
  name: Type.String(),
  priceCents: Type.Integer(),
  currency: Type.String(),
});
export type CatalogProductSummary = Static<typeof CatalogProductSummary>;

export const Product = Type.Object({
  id: Uuid,
  sku: Type.String(),
  name: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  category: Type.Union([Type.String(), Type.Null()]),
  priceCents: Type.Integer(),
  currency: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
export type Product = Static<typeof Product>;

export const ProductListQuery = Type.Object(
  {
    search: Type.Optional(
      Type.String({ maxLength: 200, description: 'case-insensitive, over name, SKU and description' }),
    ),
    category: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    cursor: Type.Optional(
      Type.String({ minLength: 1, maxLength: 1_024, description: 'nextCursor of the previous page' }),
    ),
  },
  { additionalProperties: false },
);
export type ProductListQuery = Static<typeof ProductListQuery>;

export const ProductPage = Type.Object({
  items: Type.Array(CatalogProductSummary),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});
export type ProductPage = Static<typeof ProductPage>;

export const ProductIdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      description: 'optional: the same key and body create the product once and answer it again',
    }),
  ),
});

export const NewProductRequest = Type.Object(
  {
    sku: Sku,
    name: Name,
    description: Type.Optional(Type.Union([Description, Type.Null()])),
    category: Type.Optional(Type.Union([Category, Type.Null()])),
    priceCents: PriceCents,
    currency: Currency,
  },
  { additionalProperties: false },
);
export type NewProductRequest = Static<typeof NewProductRequest>;

export const ProductChangesRequest = Type.Object(
  {
    sku: Type.Optional(Sku),
    name: Type.Optional(Name),
    description: Type.Optional(Type.Union([Description, Type.Null()])),
    category: Type.Optional(Type.Union([Category, Type.Null()])),
    priceCents: Type.Optional(PriceCents),
    currency: Type.Optional(Currency),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type ProductChangesRequest = Static<typeof ProductChangesRequest>;

export const CatalogProductsResponse = Type.Object({ items: Type.Array(CatalogProductSummary) });
export type CatalogProductsResponse = Static<typeof CatalogProductsResponse>;
