/**
 * The event bus port: what services see of the bus, whichever adapter (PostgreSQL through pg-boss, or
 * RabbitMQ) the configuration chose. Publish/subscribe of CloudEvents with consumer groups: every group
 * subscribed to a type receives each event of that type once (more on redelivery); the consumers of one group
 * share its events. Delivery is at least once: handlers are made idempotent with the inbox (inbox.ts).
 */
import type { CloudEvent } from '@glassbox/contracts';

export type MessagingSystem = 'pg-boss' | 'rabbitmq';

export interface DeliveryInfo {
  /** The consumer group the event was delivered to. */
  group: string;
  /** 1 on the first delivery; counts the bus's retries. */
  attempt: number;
  /** True when the event was delivered before (a retry, or a redelivery after a crash or a reconnect). */
  redelivered: boolean;
}

/** Handles one event; throwing retries it with backoff, `UnprocessableEvent` sends it to the dead letter at once. */
export type EventHandler = (event: CloudEvent, delivery: DeliveryInfo) => Promise<void>;

export interface Subscription {
  /** The consumer group (its queue): lower-case letters, digits, dots and dashes, e.g. `user.profiles`. */
  group: string;
  /** Event types the group receives. */
  types: readonly string[];
  handle: EventHandler;
  /** Deliveries handled at once by this process for this group. Default 32. */
  prefetch?: number;
  /** Attempts before an event that keeps failing goes to the dead letter. Default 5. */
  maxAttempts?: number;
  /** Delay before the second attempt, doubling each attempt up to `maxRetryDelayMs`. Defaults 1 s, 60 s. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
}

export interface DeadLetter {
  group: string;
  /** What arrived: the event, or the raw text when it was not even JSON. */
  event: unknown;
  /** Why it was dead-lettered: a schema violation, `UnprocessableEvent`'s message, or the last error after N attempts. */
  reason: string;
  attempts: number;
}

export interface Bus {
  readonly system: MessagingSystem;
  /**
   * Publishes events (validated first: an invalid one rejects the whole call), resolving once the broker holds
   * every one durably (RabbitMQ: publisher confirms; PostgreSQL: committed). Rejects while the broker is
   * unreachable; callers retry (the outbox relay does).
   */
  publish(events: readonly CloudEvent[]): Promise<void>;
  /** Declares the group (its queue, retry and dead-letter queues, bindings) and starts consuming. */
  subscribe(subscription: Subscription): Promise<void>;
  /** The oldest dead letters of a group, without removing them. */
  deadLetters(group: string, limit?: number): Promise<DeadLetter[]>;
  /** Resolves when the broker is reachable; rejects saying since when and why not (readiness). */
  check(): Promise<void>;
  /** Stops consuming (awaiting handlers in flight), then closes the connections. */
  close(): Promise<void>;
}

/** Thrown by a handler for an event it can never process: no retry, straight to the dead letter with this message. */
export class UnprocessableEvent extends Error {
  override readonly name = 'UnprocessableEvent';
}

/** A publish refused before it reached the broker: the event does not match its schema. */
export class InvalidEvent extends Error {
  override readonly name = 'InvalidEvent';
}
