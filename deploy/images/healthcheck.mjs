// The image's HEALTHCHECK: the process's readiness on its own port. A service answers /readyz on $PORT; the
// observatory its query API on $OBSERVATORY_PORT. Exit 0 when it answers 2xx within 3 s, else 1.
const observatory = process.env.GLASSBOX_PROCESS === 'observatory';
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
