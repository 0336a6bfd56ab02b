// The threaded list flattened into rows of equal height: a header per conversation, and its
// messages below it when expanded (so the same windowing as the flat list applies).
import type { ConversationDto, SearchHitDto } from '../ipc';

export type ThreadRow =
  | { kind: 'thread'; key: string; conversation: ConversationDto; expanded: boolean }
  | { kind: 'message'; key: string; hit: SearchHitDto };

export function threadKey(conversation: ConversationDto): string {
  const first = conversation.messages[0];
  return first ? `${first.folder}/${first.message.uid}` : conversation.subject;
}

export function flattenThreads(conversations: ConversationDto[], expanded: Record<string, boolean>): ThreadRow[] {
  const rows: ThreadRow[] = [];
  for (const conversation of conversations) {
    const key = threadKey(conversation);
    const open = expanded[key] === true;
    rows.push({ kind: 'thread', key, conversation, expanded: open });
    if (open) {
      for (const hit of conversation.messages) {
        rows.push({ kind: 'message', key: `${key}:${hit.folder}/${hit.message.uid}`, hit });
      }
    }
  }
  return rows;
}

/** "Ann, Bob +2": the people in a conversation, first appearance first. */
export function participants(conversation: ConversationDto, max = 2): string {
  const names: string[] = [];
  for (const hit of conversation.messages) {
    const name = hit.message.from || hit.message.from_address;
    if (name && !names.includes(name)) names.push(name);
  }
  const shown = names.slice(0, max).join(', ');
  return names.length > max ? `${shown} +${names.length - max}` : shown;
}
