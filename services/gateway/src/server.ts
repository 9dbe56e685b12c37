import { loadConfig, runService } from '@glassbox/kit';
import { buildGateway, type GatewayControls } from './app.js';
import { GatewayConfig } from './config.js';
import { adminRoutes } from './http/admin-routes.js';

const config = loadConfig(GatewayConfig);
let controls: GatewayControls | undefined;

await runService({
  name: 'gateway',
  config,
  build: async ({ logger }) => {
    const built = await buildGateway({ config, logger });
    controls = built.controls;
    return built.app;
  },
  operational: {
    port: config.OPS_PORT,
    host: config.OPS_HOST,
    // The admin endpoints live on the internal listener only, built after the app (so `controls` is set).
    routes: async (ops) => {
      await ops.register(adminRoutes, {
        controls: () => {
          if (!controls) throw new Error('the gateway is not built yet');
          return controls;
        },
      });
    },
  },
});
