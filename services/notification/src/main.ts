import { startTelemetry } from '@glassbox/kit/telemetry';

await startTelemetry({ serviceName: 'notification' });
await import('./server.js');
