import { startTelemetry } from '@glassbox/kit/telemetry';

await startTelemetry({ serviceName: 'healer' });
await import('./server.js');
