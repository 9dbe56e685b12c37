import type { ConsumeMessage } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { createChannelAcks } from './rabbitmq-acks.js';

const delivery = (tag: number) => ({ fields: { deliveryTag: tag } }) as unknown as ConsumeMessage;
const turn = () => new Promise((resolve) => setImmediate(resolve));

function recording() {
  const sent: string[] = [];
  const errors: unknown[] = [];
  const channel = {
    closed: false,
    ack(message: ConsumeMessage, allUpTo?: boolean) {
      if (channel.closed) throw new Error('Channel closed');
      sent.push(`${message.fields.deliveryTag}${allUpTo ? '+' : ''}`);
    },
  };
  const acks = createChannelAcks(channel, (error) => errors.push(error));
  const receive = (n: number) => {
    const messages = Array.from({ length: n }, (_, i) => delivery(i + 1));
    for (const m of messages) acks.received(m);
    return messages;
  };
  return { channel, sent, errors, acks, receive };
}

describe('coalesced acknowledgements', () => {
  it('acknowledges a run settled in one turn with one multiple ack up to its last', async () => {
    const r = recording();
    const m = r.receive(5);
    for (const message of m) r.acks.settle(message);
    expect(r.sent).toEqual([]);
    await turn();
    expect(r.sent).toEqual(['5+']);
  });

  it('never covers a delivery that has not settled: the ones after it go one by one', async () => {
    const r = recording();
    const [d1, d2, d3, d4, d5] = r.receive(5) as [ConsumeMessage, ...ConsumeMessage[]];
    r.acks.settle(d1);
    r.acks.settle(d2 as ConsumeMessage);
    r.acks.settle(d4 as ConsumeMessage);
    r.acks.settle(d5 as ConsumeMessage);
    await turn();
    expect(r.sent).toEqual(['2+', '4', '5']);
    // 3 settles later: it alone is acknowledged, and nothing twice.
    r.acks.settle(d3 as ConsumeMessage);
    await turn();
    expect(r.sent).toEqual(['2+', '4', '5', '3']);
  });

  it('acknowledges a single settled delivery on its own, and the run that follows it as a run', async () => {
    const r = recording();
    const m = r.receive(4);
    r.acks.settle(m[0] as ConsumeMessage);
    await turn();
    for (const message of m.slice(1)) r.acks.settle(message);
    await turn();
    expect(r.sent).toEqual(['1', '4+']);
  });

  it('flush() sends what is due at once (before the connection closes)', () => {
    const r = recording();
    const m = r.receive(3);
    for (const message of m) r.acks.settle(message);
    r.acks.flush();
    expect(r.sent).toEqual(['3+']);
  });

  it('reports a channel that closed instead of throwing', async () => {
    const r = recording();
    const m = r.receive(2);
    r.channel.closed = true;
    for (const message of m) r.acks.settle(message);
    await turn();
    expect(r.sent).toEqual([]);
    expect(r.errors).toHaveLength(1);
  });
});
