/**
 * Search over name, SKU and description: a case-insensitive substring match. The user's text is matched
 * literally — LIKE's wildcards (% and _) and the escape character are escaped.
 */
export function normalizeSearch(raw: string | undefined): string | undefined {
  const term = raw?.trim().replace(/\s+/g, ' ');
  return term ? term : undefined;
}

export function likePattern(term: string): string {
  return `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
