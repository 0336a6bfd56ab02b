// Windowing for the virtual message list: which rows to render for a scroll position, so a
// 100k-message folder costs the same as a 100-message one.

export interface Window {
  /** First row rendered (inclusive). */
  start: number;
  /** Row after the last one rendered (exclusive). */
  end: number;
  /** Pixels from the top of the list to row `start`. */
  offsetY: number;
  /** Height of the whole list in pixels. */
  height: number;
}

export function visibleWindow(
  scrollTop: number,
  viewportHeight: number,
  rowHeight: number,
  total: number,
  overscan = 8,
): Window {
  const height = total * rowHeight;
  if (total <= 0 || rowHeight <= 0) return { start: 0, end: 0, offsetY: 0, height: 0 };
  const top = Math.min(Math.max(0, scrollTop), Math.max(0, height - viewportHeight));
  const first = Math.floor(top / rowHeight);
  const visible = Math.ceil(Math.max(0, viewportHeight) / rowHeight) + 1;
  const start = Math.max(0, first - overscan);
  const end = Math.min(total, first + visible + overscan);
  return { start, end, offsetY: start * rowHeight, height };
}

/** The scrollTop that brings `index` fully into view (unchanged when it already is). */
export function scrollToShow(
  index: number,
  scrollTop: number,
  viewportHeight: number,
  rowHeight: number,
): number {
  const top = index * rowHeight;
  const bottom = top + rowHeight;
  if (top < scrollTop) return top;
  if (bottom > scrollTop + viewportHeight) return bottom - viewportHeight;
  return scrollTop;
}
