/**
 * `error.type` of a failure that has no status to name it (a call that got no answer, a statement that
 * failed): its code (a SQLSTATE, `ECONNREFUSED`, … — or its cause's), else its name. Kept free of
 * instruments, so the telemetry set-up can load it before the meter provider exists.
 */
export function errorTypeOf(error: unknown): string {
  const e = error as { code?: unknown; name?: unknown; cause?: { code?: unknown } } | undefined;
  const code = e?.code ?? e?.cause?.code;
  if (typeof code === 'string' && code.length > 0) return code;
  return typeof e?.name === 'string' && e.name.length > 0 ? e.name : 'Error';
}
