import { createRequire } from 'node:module';
import type { Logger, LoggerOptions } from 'pino';

// pino is loaded with require() so that the OpenTelemetry pino instrumentation (started before this module is
// imported) patches it: every record then carries trace_id/span_id and is also exported over OTLP.
const require = createRequire(import.meta.url);
const pino = require('pino') as typeof import('pino').default;

export type { Logger };

/** Paths that never reach a log line: credentials, tokens and card data. */
export const REDACT_PATHS = [
  'password',
  '*.password',
  'token',
  '*.token',
  '*.*.token',
  'accessToken',
  '*.accessToken',
  'refreshToken',
  '*.refreshToken',
  'authorization',
  '*.authorization',
  'req.headers.authorization',
  'headers.authorization',
  'headers["x-internal-token"]',
  'cardNumber',
  '*.cardNumber',
  'cvc',
  '*.cvc',
  'payment.token',
  '*.payment.token',
];

export function createLogger(
  service: string,
  level = 'info',
  options: LoggerOptions = {},
  destination?: import('pino').DestinationStream,
): Logger {
  const settings: LoggerOptions = {
    level,
    base: { service, pid: process.pid },
    messageKey: 'msg',
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    ...options,
  };
  return destination ? pino(settings, destination) : pino(settings);
}
