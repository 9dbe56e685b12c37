import { loadConfig, runService } from '@glassbox/kit';
import { buildApp } from './app.js';
import { CatalogConfig } from './config.js';
import { seed } from './seed.js';

const config = loadConfig(CatalogConfig);

await runService({
  name: 'catalog',
  config,
  database: { url: config.DATABASE_URL, migrations: new URL('../migrations/', import.meta.url) },
  seed,
  build: async ({ logger, db }) => {
    if (!db) throw new Error('catalog needs its database');
    return buildApp({
      db,
      logger,
      internalToken: config.INTERNAL_TOKEN,
      auth: { jwksUrl: `${config.AUTH_URL.replace(/\/$/, '')}/.well-known/jwks.json` },
    });
  },
});
