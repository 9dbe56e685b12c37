import { startTelemetry } from '@glassbox/kit/telemetry';

await startTelemetry({ serviceName: 'flash-sale' });
await import('./server.js');
