import { startTelemetry } from '@glassbox/kit/telemetry';

startTelemetry({ serviceName: 'user' });
await import('./server.js');
