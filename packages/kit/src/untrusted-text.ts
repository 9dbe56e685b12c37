/**
 * Text that came from a client, made safe to echo and to store. Problem documents quote member names and
 * values a client chose, and log lines carry them to a terminal: a newline or an ANSI escape in them could
 * forge a log line or repaint the screen. PostgreSQL refuses the NUL character outright, so a NUL anywhere in a
 * request is found at the edge and refused with a 400 instead of failing later as a 500.
 *
 * Dependency-free, so the CLI's log printer uses the same rule without loading the service kit.
 */

/**
 * C0 and C1 control characters, DEL, the line/paragraph separators and the bidirectional overrides and
 * isolates (which reorder what a terminal or an editor shows).
 */
// Built from a string: the linter refuses control characters in a regex literal, which this one is all about.
const UNSAFE_CLASS = '[\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069]';
const UNSAFE = new RegExp(UNSAFE_CLASS, 'g');
const SHORT: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** `text` with every control character written as a visible escape (`\n`, `\u001b`, …). */
export function escapeControlChars(text: string): string {
  return text.replace(
    UNSAFE,
    (ch) => SHORT[ch] ?? `\\u${(ch.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`,
  );
}

/** Deepest nesting `findNul` follows; parsed JSON bodies are bounded by the body limit anyway. */
const MAX_DEPTH = 64;

/**
 * The path (`body/items/0/name`, escaped) of the first string or member name under `value` that contains
 * U+0000, or undefined. `prefix` names the part of the request (`body`, `querystring`, `params`).
 */
export function findNul(value: unknown, prefix: string, depth = 0): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? prefix : undefined;
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findNul(value[i], `${prefix}/${i}`, depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  // Buffers (a raw body the route parses itself) are bytes, not text: the route that decodes them decides.
  if (value instanceof Uint8Array) return undefined;
  for (const [key, member] of Object.entries(value)) {
    const at = `${prefix}/${escapeControlChars(key)}`;
    if (key.includes('\u0000')) return at;
    const found = findNul(member, at, depth + 1);
    if (found) return found;
  }
  return undefined;
}
