// The desktop's font family, as the app read it from GTK's settings before the page started
// (`window.__TERN_DESKTOP_FONT__`, set by its initialization script): the page's CSS uses it
// by name through `--desktop-font`, before anything is laid out.

/** CSS's generic families, which the app hands over for fontconfig's aliases ("Sans"). */
const GENERIC = new Set(['sans-serif', 'serif', 'monospace', 'system-ui']);

/** The CSS value for `family`: a generic family as it is, a name as a quoted string; null
 *  when it is neither. */
export function desktopFontValue(family: unknown): string | null {
  if (typeof family !== 'string') return null;
  const name = family.trim();
  if (GENERIC.has(name)) return name;
  if (!name || name.length > 64 || !/^[\p{L}\p{N} ._-]+$/u.test(name)) return null;
  return `"${name}"`;
}

/** Sets `--desktop-font` on the document when `family` is a plain family name. */
export function applyDesktopFont(family: unknown, root: { style: { setProperty(name: string, value: string): void } } = document.documentElement): void {
  const value = desktopFontValue(family);
  if (value) root.style.setProperty('--desktop-font', value);
}
