/**
 * Test helpers for the machine's RabbitMQ: a throw-away virtual host per test file (created and deleted with
 * rabbitmqctl, so nothing is left on a broker other developers use), and a raw publisher.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import amqp from 'amqplib';

const run = promisify(execFile);

export function rabbitUrl(vhost?: string): string {
  const base = process.env.TEST_BUS_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
  return vhost ? `${base.replace(/\/+$/, '')}/${encodeURIComponent(vhost)}` : base;
}

export interface TestVhost {
  name: string;
  url: string;
  drop(): Promise<void>;
}

export async function createTestVhost(prefix = 'gbtest'): Promise<TestVhost> {
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  await run('rabbitmqctl', ['-q', 'add_vhost', name]);
  await run('rabbitmqctl', ['-q', 'set_permissions', '-p', name, 'guest', '.*', '.*', '.*']);
  return {
    name,
    url: rabbitUrl(name),
    async drop() {
      await run('rabbitmqctl', ['-q', 'delete_vhost', name]).catch(() => {});
    },
  };
}

/** Publishes `body` as JSON on `exchange` with routing key `type`, confirmed, bypassing the bus. */
export async function publishRaw(url: string, exchange: string, type: string, body: object): Promise<void> {
  const connection = await amqp.connect(url);
  try {
    const channel = await connection.createConfirmChannel();
    await channel.assertExchange(exchange, 'topic', { durable: true });
    channel.publish(exchange, type, Buffer.from(JSON.stringify(body)), { persistent: true });
    await channel.waitForConfirms();
  } finally {
    await connection.close();
  }
}
