/**
 * What inventory asks the catalog: whether a product exists. Catalog owns products, inventory owns stock, and a
 * stock record for a product the catalog does not have could never be sold or cleaned up; so the admin route
 * that creates stock asks first (the catalog's internal product lookup, with the tenant of the caller).
 */
import type { CatalogProductsResponse } from '@glassbox/contracts';
import {
  appError,
  createHttpClient,
  INTERNAL_TOKEN_HEADER,
  TENANT_HEADER,
  UpstreamError,
} from '@glassbox/kit';

export interface ProductCatalog {
  /** True when the tenant's catalog has the product; throws 503/504 when the catalog cannot say. */
  has(tenantId: string, productId: string): Promise<boolean>;
}

export function createCatalogClient(options: { url: string; internalToken: string }): ProductCatalog {
  const client = createHttpClient({
    name: 'catalog',
    baseUrl: options.url,
    timeoutMs: 2_000,
    retries: 1,
    headers: { [INTERNAL_TOKEN_HEADER]: options.internalToken },
  });
  return {
    async has(tenantId, productId) {
      try {
        const { items } = await client.json<CatalogProductsResponse>({
          path: `/internal/products?ids=${encodeURIComponent(productId)}`,
          route: '/internal/products',
          headers: { [TENANT_HEADER]: tenantId },
        });
        return items.some((p) => p.id.toLowerCase() === productId.toLowerCase());
      } catch (error) {
        // The catalog answered with an error of its own: it could not say, which is not "no such product".
        if (error instanceof UpstreamError) {
          throw appError('UPSTREAM_FAILED', `the catalog could not confirm product ${productId}`);
        }
        throw error;
      }
    },
  };
}
