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

export const OBSERVATORY_PORTS = { console: 3000, otlpGrpc: 4317, otlpHttp: 4318 } as const;
export const CONTROL_PORT = 7070;
