import { startTelemetry } from '@glassbox/kit/telemetry';

startTelemetry({ serviceName: 'catalog' });
await import('./server.js');
