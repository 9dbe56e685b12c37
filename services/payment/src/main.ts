import { startTelemetry } from '@glassbox/kit/telemetry';

await startTelemetry({ serviceName: 'payment' });
await import('./server.js');
