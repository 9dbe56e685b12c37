import { startTelemetry } from '@glassbox/kit/telemetry';

await startTelemetry({ serviceName: 'gateway' });
await import('./server.js');
