import { startTelemetry } from '@glassbox/kit/telemetry';

startTelemetry({ serviceName: 'gateway' });
await import('./server.js');
