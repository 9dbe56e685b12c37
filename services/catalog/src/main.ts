import { startTelemetry } from '@glassbox/kit/telemetry';

await startTelemetry({ serviceName: 'catalog' });
await import('./server.js');
