// The widths of the folder and message-list panes: dragged by their edges, kept in the
// settings, and held within what leaves every pane usable at the window's width.

export const FOLDER_DEFAULT = 220;
export const LIST_DEFAULT = 380;
const FOLDER_MIN = 140;
const LIST_MIN = 260;
/** The reading pane keeps at least this much. */
const READER_MIN = 320;

export interface Panes {
  folder: number;
  list: number;
}

/** The widths to draw: saved ones (0: never dragged, the defaults) held within the window. */
export function paneWidths(saved: Panes, windowWidth: number): Panes {
  const folder = clamp(saved.folder || FOLDER_DEFAULT, FOLDER_MIN, Math.max(FOLDER_MIN, windowWidth / 3));
  const roomForList = windowWidth - folder - READER_MIN;
  const list = clamp(saved.list || LIST_DEFAULT, LIST_MIN, Math.max(LIST_MIN, roomForList));
  return { folder: Math.round(folder), list: Math.round(list) };
}

/** `pane` dragged by `delta` pixels from `start`. */
export function dragged(start: Panes, pane: keyof Panes, delta: number, windowWidth: number): Panes {
  return paneWidths({ ...start, [pane]: start[pane] + delta }, windowWidth);
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(value, min), max);
}
