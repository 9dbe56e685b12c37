/**
 * A publisher process for the crash test (outbox.int.test.ts): commits `count` state changes, each with its
 * event in the outbox, printing `committed <n>` after each commit, while its relay publishes; then one
 * transaction of 500 more and `burst committed`. The test kills it with SIGKILL on that line — its relay
 * cannot have published 500 events in the moment between — then checks that a relay started afterwards
 * publishes what it left behind.
 *
 *   node --import tsx outbox-publisher.ts <database url> <bus url> <count>
 */

import { createBus, createEventCatalog } from '../../src/bus/index.js';
import { createOutbox } from '../../src/bus/outbox.js';
import { createDb } from '../../src/db.js';
import { createLogger } from '../../src/logger.js';
import { TEST_TYPES } from './contract.js';

const [databaseUrl, busUrl, countText] = process.argv.slice(2);
if (!databaseUrl || !busUrl || !countText)
  throw new Error('usage: outbox-publisher.ts <db url> <bus url> <count>');
const logger = createLogger('outbox-publisher', 'silent');
const catalog = createEventCatalog(TEST_TYPES);
const db = createDb(databaseUrl, { max: 4 });
const bus = await createBus({ url: busUrl, logger, catalog });
const outbox = createOutbox({ db, bus, source: 'crash-test', logger, catalog, intervalMs: 1_000 });
outbox.start();
for (let n = 0; n < Number(countText); n++) {
  await db.tx(async (tx) => {
    await tx.query('INSERT INTO things (n) VALUES ($1)', [n]);
    await outbox.add(tx, 'test.ping', { n });
  });
  process.stdout.write(`committed ${n}\n`);
}
await db.tx(async (tx) => {
  for (let n = Number(countText); n < Number(countText) + 500; n++) {
    await tx.query('INSERT INTO things (n) VALUES ($1)', [n]);
    await outbox.add(tx, 'test.ping', { n });
  }
});
process.stdout.write('burst committed\n');
// Waits for the SIGKILL (the relay keeps publishing meanwhile).
setInterval(() => {}, 1_000);
