/** Stand-ins for a Kubernetes API server, for tests of code that talks to one through `@kubernetes/client-node`. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';

/** A request as the stand-in API server received it (the body parsed as JSON). */
export interface ApiRequest {
  readonly method: string;
  readonly url: string;
  readonly contentType: string;
  readonly authorization: string;
  readonly body: unknown;
}

/** An API server on a free loopback port that answers every request with what `answer` returns (JSON). */
export async function standInApiServer(
  answer: (req: ApiRequest) => { status: number; body: unknown },
): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => {
      text += c.toString();
    });
    req.on('end', () => {
      const { status, body } = answer({
        method: req.method ?? '',
        url: req.url ?? '',
        contentType: req.headers['content-type'] ?? '',
        authorization: req.headers.authorization ?? '',
        body: text ? (JSON.parse(text) as unknown) : null,
      });
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** A kubeconfig whose one context talks to `server` (a stand-in API server) with a bearer token. */
export function kubeConfigFor(server: string, token: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'test', server, skipTLSVerify: true }],
    users: [{ name: 'test-user', token }],
    contexts: [{ name: 'test', cluster: 'test', user: 'test-user' }],
    currentContext: 'test',
  });
  return kubeConfig;
}
