// Windowing for long lists of fixed-height rows: only the rows in (or near) the viewport render.

export interface VisibleRange {
  /** First row to render (inclusive). */
  start: number;
  /** Row after the last one to render (exclusive). */
  end: number;
  /** Pixels above the first rendered row (a spacer keeps the scroll height right). */
  offsetTopPx: number;
  totalHeightPx: number;
}

export function visibleRange(
  scrollTopPx: number,
  viewportHeightPx: number,
  rowHeightPx: number,
  rowCount: number,
  overscan = 8,
): VisibleRange {
  const totalHeightPx = rowCount * rowHeightPx;
  if (rowCount === 0 || rowHeightPx <= 0) return { start: 0, end: 0, offsetTopPx: 0, totalHeightPx };
  const maxScroll = Math.max(0, totalHeightPx - viewportHeightPx);
  const top = Math.min(Math.max(0, scrollTopPx), maxScroll);
  const first = Math.floor(top / rowHeightPx);
  const visibleCount = Math.ceil(Math.max(0, viewportHeightPx) / rowHeightPx) + 1;
  const start = Math.max(0, first - overscan);
  const end = Math.min(rowCount, first + visibleCount + overscan);
  return { start, end, offsetTopPx: start * rowHeightPx, totalHeightPx };
}

/** The scrollTop that brings `index` into view (unchanged when it already is). */
export function scrollToReveal(
  index: number,
  scrollTopPx: number,
  viewportHeightPx: number,
  rowHeightPx: number,
): number {
  const rowTop = index * rowHeightPx;
  const rowBottom = rowTop + rowHeightPx;
  if (rowTop < scrollTopPx) return rowTop;
  if (rowBottom > scrollTopPx + viewportHeightPx) return Math.max(0, rowBottom - viewportHeightPx);
  return scrollTopPx;
}
