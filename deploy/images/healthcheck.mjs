// The image's HEALTHCHECK: the process's readiness on its own port. A service answers /readyz on $PORT; the
// observatory its query API on $OBSERVATORY_PORT. Which process runs is read from PID 1's command line (the
// health check is a new process: it does not see what the entrypoint exported). Exit 0 on 2xx within 3 s.
import { readFileSync } from 'node:fs';

let command = '';
try {
  command = readFileSync('/proc/1/cmdline', 'utf8');
} catch {
  // not on Linux: fall back to the environment
}
const observatory = command.includes('/dist/observatory/') || process.env.GLASSBOX_PROCESS === 'observatory';
const port = observatory ? (process.env.OBSERVATORY_PORT ?? '3000') : process.env.PORT;
const path = observatory ? '/api/services' : '/readyz';
if (!port) {
  console.error('healthcheck: PORT is not set');
  process.exit(1);
}
try {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(3000) });
  if (!response.ok) console.error(`healthcheck: ${path} answered ${response.status}`);
  process.exit(response.ok ? 0 : 1);
} catch (err) {
  console.error(`healthcheck: ${path}: ${err.message}`);
  process.exit(1);
}
