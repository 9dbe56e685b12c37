/**
 * HTTP clients of catalog, inventory and payment, implementing the checkout ports. Each call has a timeout and
 * bounded retries (the kit's client; every call here is safe to repeat). Answers are translated into the saga's
 * terms: timeouts, unavailability and 5xx are transient; a refusal is definitive, with a reason code.
 */

import type { CatalogProductsResponse, ReservationView } from '@glassbox/contracts';
import type { ProblemDetails } from '@glassbox/kit';
import {
  AppError,
  createHttpClient,
  INTERNAL_TOKEN_HEADER,
  TENANT_HEADER,
  UpstreamError,
} from '@glassbox/kit';
import { definitiveError, type StepError, transientError } from '@glassbox/kit/saga/runner';
import type { CatalogPort, CheckoutPorts, InventoryPort, PaymentPort } from '../domain/checkout.js';

export interface DependencyConfig {
  catalogUrl: string;
  inventoryUrl: string;
  paymentUrl: string;
  internalToken: string;
  /** Per-attempt timeout of catalog and inventory calls. */
  timeoutMs: number;
  /** Per-attempt timeout of payment calls (the provider may be slow). */
  paymentTimeoutMs: number;
  retries: number;
  reservationTtlSeconds: number;
}

export interface Dependencies {
  /** The ports for one saga run; `requestId` goes on every call for correlation. */
  ports(requestId: string | null): CheckoutPorts;
}

const TRANSIENT_STATUS = new Set([408, 425, 429]);

/** Translates a failed call; `refusal` names the definitive reasons a dependency may give. */
function translate(
  dependency: string,
  error: unknown,
  refusal: (
    code: string | undefined,
    status: number,
    problem: ProblemDetails | undefined,
  ) => StepError | undefined = () => undefined,
): StepError {
  if (error instanceof UpstreamError) {
    const status = error.upstreamStatus;
    const code = error.problem?.code;
    const specific = refusal(code, status, error.problem);
    if (specific) return specific;
    if (status >= 500 || TRANSIENT_STATUS.has(status)) {
      return transientError(`${dependency.toUpperCase()}_UNAVAILABLE`, error.message);
    }
    return definitiveError(`${dependency.toUpperCase()}_REJECTED`, error.message, { status, code });
  }
  if (error instanceof AppError) {
    // UPSTREAM_TIMEOUT / UPSTREAM_UNAVAILABLE from the client: nothing definitive is known.
    return transientError(error.code, error.message);
  }
  return transientError('UNEXPECTED', error instanceof Error ? error.message : String(error));
}

async function call<T>(fn: () => Promise<T>, onError: (error: unknown) => StepError): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw onError(error);
  }
}

export function createDependencies(config: DependencyConfig): Dependencies {
  const base = { headers: { [INTERNAL_TOKEN_HEADER]: config.internalToken }, retries: config.retries };
  const catalog = createHttpClient({
    name: 'catalog',
    baseUrl: config.catalogUrl,
    timeoutMs: config.timeoutMs,
    ...base,
  });
  const inventory = createHttpClient({
    name: 'inventory',
    baseUrl: config.inventoryUrl,
    timeoutMs: config.timeoutMs,
    ...base,
  });
  const payment = createHttpClient({
    name: 'payment',
    baseUrl: config.paymentUrl,
    timeoutMs: config.paymentTimeoutMs,
    ...base,
  });

  function ports(requestId: string | null): CheckoutPorts {
    const headers = (tenantId: string, extra: Record<string, string> = {}) => ({
      [TENANT_HEADER]: tenantId,
      ...(requestId ? { 'x-request-id': requestId } : {}),
      ...extra,
    });

    const catalogPort: CatalogPort = {
      async products(tenantId, productIds) {
        const query = encodeURIComponent(productIds.join(','));
        const body = await call(
          () =>
            catalog.json<CatalogProductsResponse>({
              path: `/internal/products?ids=${query}`,
              route: '/internal/products',
              headers: headers(tenantId),
            }),
          (e) => translate('catalog', e),
        );
        return body.items;
      },
    };

    const inventoryPort: InventoryPort = {
      async reserve(tenantId, r) {
        const reservation = await call(
          () =>
            inventory.json<ReservationView>({
              method: 'POST',
              path: '/internal/reservations',
              route: '/internal/reservations',
              headers: headers(tenantId),
              body: { ...r, ttlSeconds: config.reservationTtlSeconds },
              retry: true, // idempotent on reservationId
            }),
          (e) =>
            translate('inventory', e, (code, _status, problem) =>
              code === 'OUT_OF_STOCK'
                ? definitiveError('OUT_OF_STOCK', problem?.detail ?? 'not enough stock', {
                    ...(typeof problem?.productId === 'string' ? { productId: problem.productId } : {}),
                  })
                : undefined,
            ),
        );
        // A repeat answers the reservation as it is now: one released or expired meanwhile holds nothing.
        if (reservation.status !== 'RESERVED' && reservation.status !== 'COMMITTED') {
          throw definitiveError(
            'RESERVATION_EXPIRED',
            `the reservation is ${reservation.status.toLowerCase()}`,
          );
        }
      },
      async commit(tenantId, reservationId) {
        await call(
          () =>
            inventory.json({
              method: 'POST',
              path: `/internal/reservations/${encodeURIComponent(reservationId)}/commit`,
              route: '/internal/reservations/:id/commit',
              headers: headers(tenantId),
              retry: true,
            }),
          (e) =>
            translate('inventory', e, (code, status, problem) =>
              code === 'ILLEGAL_TRANSITION' || status === 404
                ? definitiveError(
                    'RESERVATION_EXPIRED',
                    problem?.detail ?? 'the reservation is no longer held',
                  )
                : undefined,
            ),
        );
      },
      async release(tenantId, reservationId) {
        await call(
          () =>
            inventory.json({
              method: 'POST',
              path: `/internal/reservations/${encodeURIComponent(reservationId)}/release`,
              route: '/internal/reservations/:id/release',
              headers: headers(tenantId),
              retry: true,
            }),
          (e) => translate('inventory', e),
        );
      },
    };

    const paymentPort: PaymentPort = {
      async authorize(tenantId, p) {
        const body = await call(
          () =>
            payment.json<{ paymentId: string; status: string }>({
              method: 'POST',
              path: '/internal/payments/authorize',
              route: '/internal/payments/authorize',
              headers: headers(tenantId, { 'idempotency-key': p.orderId }),
              body: p,
            }),
          (e) =>
            translate('payment', e, (code, _status, problem) => {
              if (code === 'PAYMENT_DECLINED') {
                return definitiveError('PAYMENT_DECLINED', problem?.detail ?? 'the card was declined', {
                  ...(typeof problem?.paymentId === 'string' ? { paymentId: problem.paymentId } : {}),
                });
              }
              // Another call for this order is still talking to the provider: try again later.
              if (code === 'CONFLICT')
                return transientError('PAYMENT_IN_PROGRESS', problem?.detail ?? 'in progress');
              return undefined;
            }),
        );
        if (body.status !== 'AUTHORIZED' && body.status !== 'CAPTURED') {
          throw definitiveError('PAYMENT_NOT_AUTHORIZED', `the payment is ${body.status}`, {
            paymentId: body.paymentId,
          });
        }
        return { paymentId: body.paymentId };
      },
      async capture(tenantId, paymentId) {
        await call(
          () =>
            payment.json({
              method: 'POST',
              path: `/internal/payments/${encodeURIComponent(paymentId)}/capture`,
              route: '/internal/payments/:id/capture',
              headers: headers(tenantId),
              retry: true,
            }),
          (e) =>
            translate('payment', e, (code, _status, problem) => {
              if (code === 'ILLEGAL_TRANSITION') {
                return definitiveError(
                  'PAYMENT_CAPTURE_FAILED',
                  problem?.detail ?? 'the payment cannot be captured',
                );
              }
              if (code === 'CONFLICT')
                return transientError('PAYMENT_IN_PROGRESS', problem?.detail ?? 'in progress');
              return undefined;
            }),
        );
      },
      async void(tenantId, paymentId) {
        await call(
          () =>
            payment.json({
              method: 'POST',
              path: `/internal/payments/${encodeURIComponent(paymentId)}/void`,
              route: '/internal/payments/:id/void',
              headers: headers(tenantId),
              retry: true,
            }),
          (e) => translate('payment', e),
        );
      },
      async paymentsOf(tenantId, orderId) {
        const body = await call(
          () =>
            payment.json<{ items: { paymentId: string; status: string }[] }>({
              path: `/internal/payments?orderId=${encodeURIComponent(orderId)}`,
              route: '/internal/payments',
              headers: headers(tenantId),
            }),
          (e) => translate('payment', e),
        );
        return body.items.map((p) => ({ paymentId: p.paymentId, status: p.status }));
      },
    };

    return { catalog: catalogPort, inventory: inventoryPort, payment: paymentPort };
  }

  return { ports };
}
