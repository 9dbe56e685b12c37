// Build fixture: what a bundled entry sees of its source location and its packages (see cli/build/build.int.test.ts).
import http, { request, STATUS_CODES } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { remoteJwks } from '../../../../../../packages/kit/src/jwks.js';
import { migrationsDir } from './paths.js';

const require = createRequire(import.meta.url);
const pgPath = require.resolve('pg');
const { default: equal } = await import('fast-deep-equal');
function label(): string {
  // Non-ASCII in a string: the bundle must still be ASCII (a one-byte string in V8).
  return 'café — ✓';
}
const text = label();
// node:http's named exports work, and a later patch of http.request (as the HTTP instrumentation makes) is seen
// through the named import too.
const unpatched = http.request;
let patchedCalls = 0;
http.request = ((...args: Parameters<typeof unpatched>) => {
  patchedCalls++;
  return unpatched(...args);
}) as typeof unpatched;
request('http://127.0.0.1:9/').on('error', () => {});
const httpExports = { notFound: STATUS_CODES[404], patchedCalls };
http.request = unpatched;

// A token verified against a JWKS served over HTTP, as every service does with the auth service's keys.
const { publicKey, privateKey } = await generateKeyPair('ES256');
const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' }] });
const server = http.createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const token = await new SignJWT({ sub: 'x' })
  .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
  .sign(privateKey);
const jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
const verified = (await jwtVerify(token, remoteJwks(jwksUrl))).payload.sub === 'x';
server.close();
// Neither importing node:http nor fetching the keys loaded Node's internal undici (fetch's, 3–10 MB).
const undiciLoaded = process.moduleLoadList.some((m) => m.includes('deps/undici'));
process.stdout.write(
  `${JSON.stringify({ migrations: migrationsDir.href, pgPath, equal: equal({ a: 1 }, { a: 1 }), text, httpExports, verified, undiciLoaded, marker: 'v1' })}\n`,
);
