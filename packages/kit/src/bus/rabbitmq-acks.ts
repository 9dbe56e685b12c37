/**
 * The acknowledgements of one RabbitMQ consumer channel, coalesced: the deliveries settled in one turn of the
 * event loop (a group commit of the inbox settles a whole batch at once) are acknowledged together — the run
 * of them that continues the delivery order with one `multiple` ack up to its last, any settled out of order
 * on their own — instead of one frame, and one socket write, per delivery. A delivery is never acknowledged
 * before it settled: a `multiple` ack only covers a run in which every delivery has.
 */
import type { Channel, ConsumeMessage } from 'amqplib';

export interface ChannelAcks {
  /** A delivery arrived (in delivery order). */
  received(message: ConsumeMessage): void;
  /** It was handled (or moved to a delay or dead-letter queue): acknowledge it on the next turn. */
  settle(message: ConsumeMessage): void;
  /** Sends the acknowledgements due now (before closing the connection). */
  flush(): void;
}

export function createChannelAcks(
  channel: Pick<Channel, 'ack'>,
  onError: (error: unknown) => void,
): ChannelAcks {
  // Received and not acknowledged yet, in delivery order; the settled ones among them.
  let outstanding: ConsumeMessage[] = [];
  const settled = new Set<ConsumeMessage>();
  let scheduled: NodeJS.Immediate | undefined;

  function flush(): void {
    if (scheduled) clearImmediate(scheduled);
    scheduled = undefined;
    if (settled.size === 0) return;
    let upTo = 0;
    while (upTo < outstanding.length && settled.has(outstanding[upTo] as ConsumeMessage)) upTo++;
    const run = outstanding.slice(0, upTo);
    for (const message of run) settled.delete(message);
    const alone = [...settled];
    settled.clear();
    outstanding =
      alone.length === 0
        ? outstanding.slice(upTo)
        : outstanding.slice(upTo).filter((m) => !alone.includes(m));
    try {
      const last = run.at(-1);
      if (last) channel.ack(last, run.length > 1);
      for (const message of alone) channel.ack(message);
    } catch (error) {
      // The channel closed: the broker gives the unacknowledged deliveries to a consumer again.
      onError(error);
    }
  }

  return {
    received(message) {
      outstanding.push(message);
    },
    settle(message) {
      settled.add(message);
      scheduled ??= setImmediate(flush);
    },
    flush,
  };
}
