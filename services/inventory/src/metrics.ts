import { metrics } from '@opentelemetry/api';

/** Business metrics of the inventory (OpenTelemetry API only; the kit's SDK exports them). */
export interface InventoryMetrics {
  reserved(quantity: number): void;
  committed(quantity: number): void;
  /** Stock given back: by a release, by expiry, or a committed reservation put back on hand. */
  released(quantity: number, reason: 'released' | 'expired' | 'restocked'): void;
  rejected(reason: 'out_of_stock'): void;
}

export function createInventoryMetrics(): InventoryMetrics {
  const meter = metrics.getMeter('glassbox.inventory');
  const reserved = meter.createCounter('glassbox.stock.reserved', {
    description: 'Units of stock placed on hold by reservations',
    unit: '{item}',
  });
  const committed = meter.createCounter('glassbox.stock.committed', {
    description: 'Units of stock taken off hand by committed reservations',
    unit: '{item}',
  });
  const released = meter.createCounter('glassbox.stock.released', {
    description: 'Units of stock given back by released, expired or compensated reservations',
    unit: '{item}',
  });
  const rejected = meter.createCounter('glassbox.stock.reservations.rejected', {
    description: 'Reservations refused because a product did not have enough stock',
    unit: '{reservation}',
  });
  return {
    reserved: (quantity) => reserved.add(quantity),
    committed: (quantity) => committed.add(quantity),
    released: (quantity, reason) => released.add(quantity, { 'glassbox.reason': reason }),
    rejected: (reason) => rejected.add(1, { 'glassbox.reason': reason }),
  };
}
