import { PgBoss } from 'pg-boss';
import { createPostgresBus } from '../../src/bus/postgres-bus.js';
import { createTestDatabase } from '../../src/testing/index.js';
import { captureTelemetry } from '../../src/testing/telemetry.js';
import { busContract, logger } from './contract.js';

busContract('PostgreSQL (pg-boss)', async () => {
  const telemetry = captureTelemetry();
  const database = await createTestDatabase('gbbus');
  let raw: PgBoss | undefined;
  return {
    telemetry,
    url: database.url,
    connect: (catalog) => createPostgresBus({ url: database.url, logger, catalog, poolSize: 4 }),
    async injectRaw(type, body) {
      if (!raw) {
        raw = new PgBoss({
          connectionString: database.url,
          schema: 'glassbox_bus',
          schedule: false,
          supervise: false,
          max: 1,
        });
        raw.on('error', () => {});
        await raw.start();
      }
      await raw.publish(type, body);
    },
    async close() {
      await raw?.stop({ graceful: false });
      await database.drop();
      await telemetry.shutdown();
    },
  };
});
