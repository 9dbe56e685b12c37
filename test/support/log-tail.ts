import type { LogLine, LogSink } from '../../cli/src/logs.js';

/**
 * A stack's log sink that keeps only the last lines, for a test that starts a stack silently and must still say
 * why it failed: `logs.tail()` in the failure message names the process that exited or answered an error.
 */
export function logTail(keep = 60): { readonly sink: LogSink; tail(): string } {
  const lines: LogLine[] = [];
  return {
    sink: (line) => {
      lines.push(line);
      if (lines.length > keep) lines.shift();
    },
    tail: () =>
      lines
        .map((l) => `${new Date(l.receivedAt).toISOString()} ${l.source} ${l.stream}: ${l.line}`)
        .join('\n'),
  };
}
