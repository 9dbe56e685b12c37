/**
 * The catalog service's internal API (owned by the catalog/inventory engineer). Calls send `x-internal-token`
 * and `x-tenant-id`.
 *
 * GET /internal/products?ids=a,b   (or ids=a&ids=b; 1..100 ids) → 200 CatalogProductsResponse. Unknown,
 *                                  deleted, other tenants' and malformed ids are simply absent.
 */
export interface CatalogProductSummary {
  id: string;
  sku: string;
  name: string;
  /** Minor units (cents) of `currency`. */
  priceCents: number;
  /** ISO 4217 code, e.g. "EUR". */
  currency: string;
}

export interface CatalogProductsResponse {
  items: CatalogProductSummary[];
}
