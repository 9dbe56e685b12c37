import { startTelemetry } from '@glassbox/kit/telemetry';

startTelemetry({ serviceName: 'auth' });
await import('./server.js');
