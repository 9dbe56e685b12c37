/**
 * Step 1 of a flash-sale order, price: the product's name, sku and currency from the catalog, at the sale's price
 * (the purchase's `unitPriceCents`), not the catalog's. Reading changes nothing, so there is nothing to undo.
 */
import { definitiveError, type SagaStep } from '@glassbox/kit/saga/runner';
import type { CheckoutInput, CheckoutPorts, CheckoutResults } from '../../../domain/checkout.js';
import { priceItems } from '../../../domain/pricing.js';

export function flashPriceStep(ports: CheckoutPorts): SagaStep<CheckoutInput, CheckoutResults, 'price'> {
  return {
    name: 'price',
    async invoke(input) {
      const flash = input.flash;
      if (!flash) throw definitiveError('SAGA_CORRUPT', 'a flash price step without flash terms');
      const ids = [...new Set(input.items.map((i) => i.productId))];
      const products = await ports.catalog.products(input.tenantId, ids);
      const atFlashPrice = products.map((p) => ({ ...p, priceCents: flash.unitPriceCents }));
      const result = priceItems(input.items, atFlashPrice);
      if (result.ok) return result.priced;
      throw definitiveError(result.reason, `the flash purchase cannot be priced (${result.reason})`);
    },
    async compensate() {},
  };
}
