import { loadConfig, runService } from '@glassbox/kit';
import { buildApp } from './app.js';
import { GatewayConfig } from './config.js';

const config = loadConfig(GatewayConfig);

await runService({
  name: 'gateway',
  config,
  build: ({ logger }) => buildApp({ config, logger }),
  operational: { port: config.OPS_PORT, host: config.OPS_HOST },
});
