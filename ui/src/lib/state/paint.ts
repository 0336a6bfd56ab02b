// Knowing when the browser has painted what the UI just rendered.

/** Resolves once the browser has painted the current DOM (two animation frames). */
export function afterPaint(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve())));
}
