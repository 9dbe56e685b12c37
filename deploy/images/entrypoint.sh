#!/bin/sh
# Runs one Glassbox process: a service by its name under services/, or `observatory`. exec keeps Node as
# PID 1 so SIGTERM from the runtime reaches it directly (graceful drain in the kit's runService).
set -eu
name="${1:-${GLASSBOX_PROCESS:-}}"
services="$(ls /app/dist/services | tr '\n' ' ' | sed 's/ $//')"
if [ -z "$name" ]; then
  echo "usage: <image> <service>|observatory   (services: $services)" >&2
  exit 64
fi
shift || true
case "$name" in
  *[!a-z0-9-]*) bundle=/nonexistent ;; # only a plain name: no path into another folder
  observatory) bundle=/app/dist/observatory/main.js ;;
  *) bundle="/app/dist/services/$name/main.js" ;;
esac
if [ ! -f "$bundle" ]; then
  echo "glassbox: no process named '$name' (services: $services; or observatory)" >&2
  exit 64
fi
export GLASSBOX_PROCESS="$name"
if [ "$name" != observatory ]; then export OTEL_SERVICE_NAME="${OTEL_SERVICE_NAME:-$name}"; fi
exec node --max-semi-space-size=1 --optimize-for-size --liftoff-only --no-maglev "$bundle" "$@"
