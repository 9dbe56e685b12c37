// Stable colours per service: the same service keeps its colour on every page and every load.

const palette = [
  '#3b6fd8', // blue
  '#e8853d', // orange
  '#2f9e6e', // green
  '#9b59b6', // purple
  '#cfa01a', // mustard
  '#17a2b8', // teal
  '#d4609a', // pink
  '#6c7a89', // slate
  '#8a6d3b', // brown
  '#7a8f2a', // olive
  '#a3337e', // plum
] as const;

function hash(text: string): number {
  // FNV-1a, 32 bit.
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function serviceColor(service: string): string {
  return palette[hash(service) % palette.length]!;
}

/**
 * Colours for a known set of services, avoiding collisions while the palette lasts:
 * each service takes its hashed slot, or the next free one.
 */
export function assignServiceColors(services: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  const taken = new Set<number>();
  for (const service of [...new Set(services)].sort()) {
    let slot = hash(service) % palette.length;
    if (taken.size < palette.length) {
      while (taken.has(slot)) slot = (slot + 1) % palette.length;
    }
    taken.add(slot);
    out.set(service, palette[slot]!);
  }
  return out;
}

export const chartPalette = palette;
