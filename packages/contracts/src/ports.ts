/** Default ports (DESIGN §3). Every one can be overridden by configuration. */
export const SERVICE_PORTS = {
  gateway: 8080,
  auth: 8081,
  user: 8082,
  catalog: 8083,
  inventory: 8084,
  order: 8085,
  payment: 8086,
} as const;
export type ServiceName = keyof typeof SERVICE_PORTS;

/**
 * The gateway's operational endpoints (/metrics, /openapi.json): its own port is public, so they listen apart,
 * on loopback by default (the port of OpenTelemetry's Prometheus exporter).
 */
export const GATEWAY_OPS_PORT = 9464;

export const OBSERVATORY_PORTS = { console: 3000, otlpGrpc: 4317, otlpHttp: 4318 } as const;
export const CONTROL_PORT = 7070;
