import { createRabbitBus } from '../../src/bus/rabbitmq-bus.js';
import { captureTelemetry } from '../../src/testing/telemetry.js';
import { busContract, logger } from './contract.js';
import { createTestVhost, publishRaw } from './rabbitmq-harness.js';

busContract('RabbitMQ', async () => {
  const telemetry = captureTelemetry();
  const vhost = await createTestVhost();
  return {
    telemetry,
    url: vhost.url,
    connect: (catalog) =>
      createRabbitBus({ url: vhost.url, logger, catalog, reconnect: { maxDelayMs: 500 } }),
    injectRaw: (type, body) => publishRaw(vhost.url, 'glassbox.events', type, body),
    async close() {
      await vhost.drop();
      await telemetry.shutdown();
    },
  };
});
