import { startTelemetry } from '@glassbox/kit/telemetry';

startTelemetry({ serviceName: 'order' });
await import('./server.js');
