/**
 * The bus on RabbitMQ (connected and cluster modes, `BUS_URL=amqp://…`), with amqplib 2 and its opt-in
 * connection recovery (exponential backoff with jitter; `setup` re-declares the topology and restarts the
 * consumers after every reconnect).
 *
 * Topology, all durable:
 * - one topic exchange `glassbox.events`; an event is published with its type as routing key, persistent, as
 *   a structured-mode CloudEvent (`application/cloudevents+json`, trace context inside);
 * - per consumer group: the queue `<group>` bound to each type it wants; delay queues `<group>.retry.<ms>`
 *   (queue TTL, dead-lettered back to `<group>` through the default exchange: one queue per delay, so a long
 *   delay never holds up a short one); the dead-letter queue `<group>.dlq`.
 *
 * Guarantees: publishes go through a confirm channel and resolve only when the broker confirmed them; a
 * consumer acks only after its handler finished, and moves a failed event to a delay queue or the dead letter
 * (a confirmed publish) before it acks it, so nothing is lost — a crash in between delivers twice, which the
 * consumers' inbox absorbs. Acks are coalesced per turn of the event loop (rabbitmq-acks.ts). Prefetch bounds
 * what one process holds. While the broker is unreachable publish
 * rejects at once (the outbox keeps the events and its relay retries) and `check()` says since when.
 */
import { once } from 'node:events';
import type { CloudEvent } from '@glassbox/contracts';
import amqp, {
  type Channel,
  type ChannelModel,
  type ConfirmChannel,
  type ConsumeMessage,
  type RecoveringChannelModel,
} from 'amqplib';
import type { Logger } from '../logger.js';
import { parseBody, retryDelayFor, type SubscriptionSettings, settle, withDefaults } from './consume.js';
import { createEventCatalog, type EventCatalog } from './events.js';
import { type ChannelAcks, createChannelAcks } from './rabbitmq-acks.js';
import { createBusTelemetry } from './telemetry.js';
import { type Bus, type DeadLetter, InvalidEvent, type Subscription } from './types.js';

export interface RabbitBusOptions {
  /** `amqp://user:password@host:5672/vhost` */
  url: string;
  logger: Logger;
  catalog?: EventCatalog;
  exchange?: string;
  /** Connection name shown by the broker's management tools. */
  name?: string;
  /** How long a publish waits for the broker's confirms. Default 10 s. */
  confirmTimeoutMs?: number;
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number };
}

const ATTEMPT = 'x-glassbox-attempt';
const REASON = 'x-glassbox-reason';
const CONTENT_TYPE = 'application/cloudevents+json';

interface Consumer {
  settings: SubscriptionSettings;
  channel?: Channel;
  acks?: ChannelAcks;
  tag?: string;
}

export async function createRabbitBus(options: RabbitBusOptions): Promise<Bus> {
  const { logger } = options;
  const exchange = options.exchange ?? 'glassbox.events';
  const catalog = options.catalog ?? createEventCatalog();
  const telemetry = createBusTelemetry('rabbitmq');
  const confirmTimeoutMs = options.confirmTimeoutMs ?? 10_000;
  const consumers = new Map<string, Consumer>();
  let publisher: ConfirmChannel | undefined;
  let down: { since: Date; reason: string } | undefined = { since: new Date(), reason: 'not connected yet' };
  let closing = false;
  let inFlight = 0;
  const idle: (() => void)[] = [];

  function delayQueues(settings: SubscriptionSettings): number[] {
    const delays = new Set<number>();
    for (let attempt = 1; attempt < settings.maxAttempts; attempt++)
      delays.add(retryDelayFor(settings, attempt));
    return [...delays];
  }

  async function declare(channel: Channel, settings: SubscriptionSettings): Promise<void> {
    const { group } = settings;
    await channel.assertQueue(group, { durable: true });
    for (const type of settings.types) await channel.bindQueue(group, exchange, type);
    for (const delay of delayQueues(settings)) {
      await channel.assertQueue(`${group}.retry.${delay}ms`, {
        durable: true,
        arguments: {
          'x-message-ttl': delay,
          'x-dead-letter-exchange': '',
          'x-dead-letter-routing-key': group,
        },
      });
    }
    await channel.assertQueue(`${group}.dlq`, { durable: true });
  }

  /** Sends to a queue through the confirm channel and waits for the broker's confirm. */
  async function sendConfirmed(
    queue: string,
    content: Buffer,
    headers: Record<string, unknown>,
    source: ConsumeMessage,
  ) {
    const channel = publisher;
    if (!channel) throw new Error('broker unreachable');
    channel.sendToQueue(queue, content, {
      persistent: true,
      contentType: CONTENT_TYPE,
      messageId: source.properties.messageId,
      type: source.properties.type,
      headers: { ...source.properties.headers, ...headers },
    });
    await confirmed(channel);
  }

  async function confirmed(channel: ConfirmChannel): Promise<void> {
    // Listeners removed when done (the abort), so thousands of publishes do not pile up on the channel.
    const done = new AbortController();
    const closed = once(channel, 'close', { signal: done.signal }).then(() => {
      throw new Error('the broker connection closed before it confirmed');
    });
    const late = new Promise<never>((_, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no confirm from the broker within ${confirmTimeoutMs} ms`)),
        confirmTimeoutMs,
      );
      done.signal.addEventListener('abort', () => clearTimeout(timer));
    });
    try {
      await Promise.race([channel.waitForConfirms(), closed, late]);
    } finally {
      done.abort();
      closed.catch(() => {});
      late.catch(() => {});
    }
  }

  async function onMessage(consumer: Consumer, acks: ChannelAcks, message: ConsumeMessage): Promise<void> {
    const { settings } = consumer;
    inFlight++;
    try {
      const attempt = Number(message.properties.headers?.[ATTEMPT] ?? 1) || 1;
      const delivery = {
        group: settings.group,
        attempt,
        redelivered: message.fields.redelivered || attempt > 1,
      };
      const outcome = await settle(
        parseBody(message.content),
        delivery,
        settings,
        catalog,
        telemetry,
        logger,
      );
      if (outcome.kind === 'retry') {
        await sendConfirmed(
          `${settings.group}.retry.${outcome.delayMs}ms`,
          message.content,
          { [ATTEMPT]: attempt + 1, [REASON]: outcome.reason.slice(0, 1_000) },
          message,
        );
      } else if (outcome.kind === 'dead') {
        await sendConfirmed(
          `${settings.group}.dlq`,
          message.content,
          {
            [ATTEMPT]: attempt,
            [REASON]: outcome.reason.slice(0, 2_000),
            'x-glassbox-group': settings.group,
          },
          message,
        );
      }
      acks.settle(message);
    } catch (error) {
      // The channel or the connection went away: the broker delivers the event again (the inbox dedupes).
      logger.warn(
        { group: settings.group, err: (error as Error).message },
        'delivery left unsettled; the broker will redeliver it',
      );
    } finally {
      inFlight--;
      if (inFlight === 0) for (const resolve of idle.splice(0)) resolve();
    }
  }

  async function startConsumer(model: ChannelModel, consumer: Consumer): Promise<void> {
    const channel = await model.createChannel();
    channel.on('error', (error: Error) =>
      logger.warn({ group: consumer.settings.group, err: error.message }, 'consumer channel error'),
    );
    await declare(channel, consumer.settings);
    await channel.prefetch(consumer.settings.prefetch);
    const acks = createChannelAcks(channel, (error) =>
      logger.warn(
        { group: consumer.settings.group, err: (error as Error).message },
        'acknowledgements not sent; the broker will redeliver those events',
      ),
    );
    const { consumerTag } = await channel.consume(
      consumer.settings.group,
      (message) => {
        if (!message) return;
        acks.received(message);
        void onMessage(consumer, acks, message);
      },
      { noAck: false },
    );
    consumer.channel = channel;
    consumer.acks = acks;
    consumer.tag = consumerTag;
  }

  async function setup(model: ChannelModel): Promise<void> {
    const channel = await model.createConfirmChannel();
    channel.on('error', (error: Error) => logger.warn({ err: error.message }, 'publisher channel error'));
    await channel.assertExchange(exchange, 'topic', { durable: true });
    for (const consumer of consumers.values()) await startConsumer(model, consumer);
    publisher = channel;
    current = model;
  }

  let current: ChannelModel | undefined;
  // A short heartbeat notices a broker that vanished without closing the socket within seconds.
  const url = new URL(options.url);
  if (!url.searchParams.has('heartbeat')) url.searchParams.set('heartbeat', '5');
  const connection: RecoveringChannelModel = await amqp.connect(url.toString(), {
    clientProperties: { connection_name: options.name ?? 'glassbox-bus' },
    recovery: {
      initialDelay: options.reconnect?.initialDelayMs ?? 200,
      maxDelay: options.reconnect?.maxDelayMs ?? 5_000,
      jitter: 0.2,
      maxRetries: Number.POSITIVE_INFINITY,
      initialMaxRetries: 5,
      setup,
    },
  });
  connection.on('connect', () => {
    if (down) logger.info({ down_since: down.since.toISOString() }, 'bus connected to RabbitMQ');
    down = undefined;
  });
  connection.on('disconnect', (error: Error) => {
    publisher = undefined;
    current = undefined;
    for (const consumer of consumers.values()) {
      consumer.channel = undefined;
      consumer.acks = undefined;
    }
    if (!closing) {
      down = { since: new Date(), reason: error?.message ?? 'connection lost' };
      logger.warn({ err: down.reason }, 'bus lost its RabbitMQ connection; reconnecting');
    }
  });
  connection.on('reconnect-scheduled', ({ attempt, delay }: { attempt: number; delay: number }) =>
    logger.debug({ attempt, delay }, 'RabbitMQ reconnect scheduled'),
  );
  connection.on('error', (error: Error) => logger.warn({ err: error.message }, 'RabbitMQ connection error'));
  // The first connection's setup ran before the listeners above were attached.
  down = current ? undefined : down;

  return {
    system: 'rabbitmq',

    async publish(events: readonly CloudEvent[]) {
      if (closing) throw new Error('the bus is closed');
      for (const event of events) {
        const checked = catalog.check(event);
        if (!checked.ok) throw new InvalidEvent(`event ${event.id}: ${checked.reason}`);
      }
      if (events.length === 0) return;
      const channel = publisher;
      if (!channel)
        throw new Error(`RabbitMQ unreachable since ${down?.since.toISOString()}: ${down?.reason}`);
      await telemetry.send(events, async () => {
        for (const event of events) {
          const written = channel.publish(exchange, event.type, Buffer.from(JSON.stringify(event)), {
            persistent: true,
            contentType: CONTENT_TYPE,
            messageId: event.id,
            type: event.type,
            timestamp: Math.floor(Date.now() / 1000),
          });
          if (!written) await once(channel, 'drain');
        }
        await confirmed(channel);
      });
    },

    async subscribe(subscription: Subscription) {
      const settings = withDefaults(subscription);
      if (consumers.has(settings.group)) throw new Error(`group ${settings.group} is already consumed here`);
      const consumer: Consumer = { settings };
      consumers.set(settings.group, consumer);
      if (current) await startConsumer(current, consumer);
    },

    async deadLetters(group, limit = 100): Promise<DeadLetter[]> {
      const model = current;
      if (!model) throw new Error('RabbitMQ unreachable');
      // Read without removing: take them unacked, then close the channel, which gives them back in order.
      const channel = await model.createChannel();
      const out: DeadLetter[] = [];
      try {
        for (let i = 0; i < limit; i++) {
          const message = await channel.get(`${group}.dlq`, { noAck: false });
          if (!message) break;
          const headers = message.properties.headers ?? {};
          out.push({
            group,
            event: parseBody(message.content),
            reason: String(headers[REASON] ?? 'unknown'),
            attempts: Number(headers[ATTEMPT] ?? 1),
          });
        }
      } finally {
        await channel.close().catch(() => {});
      }
      return out;
    },

    async check() {
      if (closing) throw new Error('the bus is closed');
      if (down || !publisher) {
        throw new Error(
          `RabbitMQ unreachable since ${down?.since.toISOString() ?? 'start'}: ${down?.reason ?? 'connecting'}`,
        );
      }
    },

    async close() {
      if (closing) return;
      closing = true;
      for (const consumer of consumers.values()) {
        if (consumer.channel && consumer.tag) await consumer.channel.cancel(consumer.tag).catch(() => {});
      }
      if (inFlight > 0) {
        await Promise.race([
          new Promise<void>((resolve) => idle.push(resolve)),
          new Promise<void>((resolve) => setTimeout(resolve, 10_000).unref()),
        ]);
      }
      for (const consumer of consumers.values()) consumer.acks?.flush();
      await connection.close().catch(() => {});
    },
  };
}
