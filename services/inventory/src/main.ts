import { startTelemetry } from '@glassbox/kit/telemetry';

startTelemetry({ serviceName: 'inventory' });
await import('./server.js');
