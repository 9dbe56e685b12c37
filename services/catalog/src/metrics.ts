import { metrics } from '@opentelemetry/api';

export interface CatalogMetrics {
  changed(change: 'created' | 'updated' | 'deleted'): void;
}

/** Business metrics of the catalog (OpenTelemetry API only; the kit's SDK exports them). */
export function createCatalogMetrics(): CatalogMetrics {
  const meter = metrics.getMeter('glassbox.catalog');
  const changes = meter.createCounter('glassbox.catalog.product.changes', {
    description: 'Products created, updated or deleted by merchant administrators',
    unit: '{product}',
  });
  return { changed: (change) => changes.add(1, { 'glassbox.change': change }) };
}
