/**
 * The opaque cursor of the product listing. Products are listed by (name, id) — id breaks ties between equal
 * names — and a cursor is the position of the last product of a page. Clients must treat it as opaque; it is
 * base64url JSON with a version tag so the format can change without breaking old cursors silently.
 */
export interface ListPosition {
  name: string;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const VERSION = 1;
const MAX_CURSOR_LENGTH = 1_024;

export function encodeCursor(position: ListPosition): string {
  return Buffer.from(JSON.stringify({ v: VERSION, n: position.name, i: position.id }), 'utf8').toString(
    'base64url',
  );
}

/** The position a cursor encodes, or undefined when it is not a cursor this service made. */
export function decodeCursor(cursor: string): ListPosition | undefined {
  if (cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) {
    return undefined;
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { v, n, i } = value as Record<string, unknown>;
  if (v !== VERSION || typeof n !== 'string' || typeof i !== 'string' || !UUID.test(i)) return undefined;
  return { name: n, id: i.toLowerCase() };
}
