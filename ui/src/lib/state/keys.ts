// Keyboard shortcuts: one table for the handler and the help overlay.

export type Command =
  | 'next'
  | 'previous'
  | 'open'
  | 'toggle_read'
  | 'toggle_flag'
  | 'archive'
  | 'delete'
  | 'search'
  | 'refresh'
  | 'compose'
  | 'help'
  | 'escape';

export const SHORTCUTS: { key: string; command: Command; label: string }[] = [
  { key: 'j', command: 'next', label: 'Next message' },
  { key: 'k', command: 'previous', label: 'Previous message' },
  { key: 'Enter', command: 'open', label: 'Open message' },
  { key: 'u', command: 'toggle_read', label: 'Mark read / unread' },
  { key: 's', command: 'toggle_flag', label: 'Flag / unflag' },
  { key: 'e', command: 'archive', label: 'Archive' },
  { key: '#', command: 'delete', label: 'Delete' },
  { key: '/', command: 'search', label: 'Search' },
  { key: 'r', command: 'refresh', label: 'Check for new mail' },
  { key: 'c', command: 'compose', label: 'Write a message' },
  { key: '?', command: 'help', label: 'Show these shortcuts' },
  { key: 'Escape', command: 'escape', label: 'Close / clear' },
];

export interface KeyInput {
  key: string;
  ctrlKey?: boolean;
  metaKey?: boolean;
  altKey?: boolean;
  /** The key was typed into a text field. */
  inField?: boolean;
}

/** The command for a key press, or null (typing in a field is not a shortcut, except Escape). */
export function commandFor(input: KeyInput): Command | null {
  if (input.ctrlKey || input.metaKey || input.altKey) return null;
  if (input.inField && input.key !== 'Escape') return null;
  if (input.key === 'ArrowDown') return 'next';
  if (input.key === 'ArrowUp') return 'previous';
  return SHORTCUTS.find((shortcut) => shortcut.key === input.key)?.command ?? null;
}
