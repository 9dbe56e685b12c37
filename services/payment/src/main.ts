import { startTelemetry } from '@glassbox/kit/telemetry';

startTelemetry({ serviceName: 'payment' });
await import('./server.js');
