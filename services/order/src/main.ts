import { startTelemetry } from '@glassbox/kit/telemetry';

await startTelemetry({ serviceName: 'order' });
await import('./server.js');
