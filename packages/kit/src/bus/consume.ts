/**
 * What to do with one delivery, decided the same way by both adapters: parse and validate it (an invalid
 * event goes to the dead letter with the reason, never into a handler), run the handler in its process
 * span, then settle: done; retry later (with the delay for this attempt); or dead-letter (the handler called
 * it unprocessable, or it has failed `maxAttempts` times). A handler's error never escapes to the consumer loop.
 */
import type { Logger } from '../logger.js';
import type { EventCatalog } from './events.js';
import type { BusTelemetry } from './telemetry.js';
import { type DeliveryInfo, type Subscription, UnprocessableEvent } from './types.js';

export type Settlement =
  | { kind: 'done' }
  | { kind: 'retry'; reason: string; delayMs: number }
  | { kind: 'dead'; reason: string };

export interface SubscriptionSettings extends Required<Subscription> {}

export function withDefaults(subscription: Subscription): SubscriptionSettings {
  if (!/^[a-z0-9][a-z0-9.-]{0,100}$/.test(subscription.group)) {
    throw new Error(
      `consumer group ${JSON.stringify(subscription.group)}: use lower-case letters, digits, . and -`,
    );
  }
  if (subscription.types.length === 0)
    throw new Error(`consumer group ${subscription.group} names no event type`);
  return {
    prefetch: 32,
    maxAttempts: 5,
    retryDelayMs: 1_000,
    maxRetryDelayMs: 60_000,
    ...subscription,
  };
}

/** The wait before attempt `attempt + 1`: `retryDelayMs × 2^(attempt−1)`, capped. */
export function retryDelayFor(settings: SubscriptionSettings, attempt: number): number {
  return Math.min(
    settings.maxRetryDelayMs,
    settings.retryDelayMs * 2 ** Math.max(0, Math.min(attempt - 1, 20)),
  );
}

/** Parses a message body; a body that is not JSON is kept as text (and is then invalid). */
export function parseBody(body: Buffer | string): unknown {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export async function settle(
  value: unknown,
  delivery: DeliveryInfo,
  settings: SubscriptionSettings,
  catalog: EventCatalog,
  telemetry: BusTelemetry,
  logger: Logger,
): Promise<Settlement> {
  const checked = catalog.check(value);
  const type =
    typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string'
      ? (value as { type: string }).type
      : 'unknown';
  if (!checked.ok) {
    telemetry.deadLettered(settings.group, type, 'invalid');
    logger.warn({ group: settings.group, type, reason: checked.reason }, 'invalid event dead-lettered');
    return { kind: 'dead', reason: checked.reason };
  }
  const { event } = checked;
  try {
    await telemetry.process(settings.group, event, delivery, () => settings.handle(event, delivery));
    return { kind: 'done' };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const log = { group: settings.group, type, event_id: event.id, attempt: delivery.attempt, err: message };
    if (error instanceof UnprocessableEvent) {
      telemetry.deadLettered(settings.group, type, 'unprocessable');
      logger.warn(log, 'event unprocessable; dead-lettered');
      return { kind: 'dead', reason: `unprocessable: ${message}` };
    }
    if (delivery.attempt >= settings.maxAttempts) {
      telemetry.deadLettered(settings.group, type, 'attempts');
      logger.error(log, 'event failed on every attempt; dead-lettered');
      return { kind: 'dead', reason: `failed ${delivery.attempt} attempts; last error: ${message}` };
    }
    const delayMs = retryDelayFor(settings, delivery.attempt);
    logger.warn({ ...log, retry_in_ms: delayMs }, 'event handler failed; will retry');
    return { kind: 'retry', reason: message, delayMs };
  }
}
