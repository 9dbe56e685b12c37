import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ByteCountingSink {
  /** The OTLP/HTTP endpoint (`OTEL_EXPORTER_OTLP_ENDPOINT`). */
  url: string;
  /** Bytes of request bodies received so far. */
  bytes: () => number;
  close: () => Promise<void>;
}

/**
 * An OTLP/HTTP endpoint on loopback for benchmarks: answers 200 to every export, keeps nothing but the count
 * of bytes, so what telemetry costs the measured processes is measured without a backend's work.
 */
export async function startByteCountingSink(): Promise<ByteCountingSink> {
  let bytes = 0;
  const server = createServer((req, res) => {
    req.on('data', (c: Buffer) => {
      bytes += c.length;
    });
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    bytes: () => bytes,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
