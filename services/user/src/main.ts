import { startTelemetry } from '@glassbox/kit/telemetry';

await startTelemetry({ serviceName: 'user' });
await import('./server.js');
