/**
 * A consumer process for the contract's crash test: subscribes `group` to `test.ping` and never finishes a
 * handler, printing `holding <n>` for every event it was handed. The test kills it with SIGKILL while it holds
 * them, and checks that the group's next consumer gets them again.
 *
 *   node --import tsx stuck-consumer.ts <bus url> <group>
 */

import { createBus, createEventCatalog } from '../../src/bus/index.js';
import { createLogger } from '../../src/logger.js';
import { TEST_TYPES } from './contract.js';

const [busUrl, group] = process.argv.slice(2);
if (!busUrl || !group) throw new Error('usage: stuck-consumer.ts <bus url> <group>');
const bus = await createBus({
  url: busUrl,
  logger: createLogger('stuck-consumer', 'silent'),
  catalog: createEventCatalog(TEST_TYPES),
});
await bus.subscribe({
  group,
  types: ['test.ping'],
  prefetch: 8,
  handle: (event) => {
    process.stdout.write(`holding ${(event.data as { n: number }).n}\n`);
    return new Promise<void>(() => {});
  },
});
process.stdout.write('ready\n');
