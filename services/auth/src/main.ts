import { startTelemetry } from '@glassbox/kit/telemetry';

await startTelemetry({ serviceName: 'auth' });
await import('./server.js');
