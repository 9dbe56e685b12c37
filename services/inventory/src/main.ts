import { startTelemetry } from '@glassbox/kit/telemetry';

await startTelemetry({ serviceName: 'inventory' });
await import('./server.js');
