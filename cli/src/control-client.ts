/**
 * The CLI's side of the supervisor's control API (`glassbox status`, `service`, `chaos`): one request, its
 * status and JSON answer — or, when the API cannot be reached, a line on stderr saying so and `undefined`.
 */
import { request } from 'undici';

export async function callControl(
  base: string,
  path: string,
  options: { method: 'GET' | 'POST' | 'DELETE'; body?: string; timeoutMs: number },
): Promise<{ status: number; answer: unknown } | undefined> {
  try {
    const res = await request(`${base}${path}`, {
      method: options.method,
      headers: options.body ? { 'content-type': 'application/json' } : {},
      body: options.body,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
    return { status: res.statusCode, answer: await res.body.json() };
  } catch (err) {
    process.stderr.write(
      `cannot reach the control API at ${base}: ${(err as Error).message} (is glassbox start running?)\n`,
    );
    return undefined;
  }
}
