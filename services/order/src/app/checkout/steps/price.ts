/**
 * Step 1, price: reads the products from the catalog and prices the order. Reading changes nothing, so there is
 * nothing to undo. An unknown product, mixed currencies or a total beyond what one payment takes is the client's
 * mistake (definitive).
 */
import { definitiveError, type SagaStep } from '@glassbox/kit/saga/runner';
import type { CheckoutInput, CheckoutPorts, CheckoutResults } from '../../../domain/checkout.js';
import { priceItems } from '../../../domain/pricing.js';

export function priceStep(ports: CheckoutPorts): SagaStep<CheckoutInput, CheckoutResults, 'price'> {
  return {
    name: 'price',
    async invoke(input) {
      const ids = [...new Set(input.items.map((i) => i.productId))];
      const products = await ports.catalog.products(input.tenantId, ids);
      const result = priceItems(input.items, products);
      if (result.ok) return result.priced;
      if (result.reason === 'PRODUCT_NOT_FOUND') {
        throw definitiveError('PRODUCT_NOT_FOUND', `unknown product(s): ${result.productIds.join(', ')}`, {
          productIds: result.productIds,
        });
      }
      if (result.reason === 'ORDER_TOTAL_TOO_LARGE') {
        throw definitiveError(
          'ORDER_TOTAL_TOO_LARGE',
          `an order can total at most ${result.maxCents} cents; this one totals ${result.totalCents}`,
          { totalCents: result.totalCents, maxCents: result.maxCents },
        );
      }
      throw definitiveError(
        'MIXED_CURRENCIES',
        `one order cannot mix currencies (${result.currencies.join(', ')})`,
        { currencies: result.currencies },
      );
    },
    async compensate() {},
  };
}
