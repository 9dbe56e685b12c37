import http from 'node:http';

/**
 * GET `url` once and return the status code, or null when the server cannot be reached or does not answer
 * within `timeoutMs`. No keep-alive: a probe must never hold a connection to a process that may be replaced.
 */
export function probeStatus(url: string, timeoutMs = 1000): Promise<number | null> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (status: number | null): void => {
      if (settled) return;
      settled = true;
      resolve(status);
    };
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => done(res.statusCode ?? null));
      res.on('error', () => done(res.statusCode ?? null));
    });
    req.on('timeout', () => {
      req.destroy();
      done(null);
    });
    req.on('error', () => done(null));
  });
}
