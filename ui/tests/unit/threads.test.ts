import { describe, expect, it } from 'vitest';
import { flattenThreads, participants, threadKey } from '../../src/lib/state/threads';
import type { ConversationDto, SearchHitDto } from '../../src/lib/ipc';

function hit(uid: number, from: string): SearchHitDto {
  return {
    account: 'alice@tern.test',
    folder: 'INBOX',
    message: { account: 'alice@tern.test', folder: 'INBOX', uid, subject: 'Plans', from, from_address: `${from.toLowerCase()}@x`, date: uid, seen: true, flagged: false, answered: false, attachments: false, labels: [], preview: '' },
  };
}

const conversations: ConversationDto[] = [
  { subject: 'Plans', unread: 1, latest: 3, messages: [hit(1, 'Ann'), hit(2, 'Bob'), hit(3, 'Ann'), hit(4, 'Cy')] },
  { subject: 'Solo', unread: 0, latest: 9, messages: [hit(9, 'Dee')] },
];

describe('flattenThreads', () => {
  it('shows one row per conversation when collapsed', () => {
    expect(flattenThreads(conversations, {}).map((row) => row.kind)).toEqual(['thread', 'thread']);
  });

  it('lists an expanded conversation’s messages under it', () => {
    const rows = flattenThreads(conversations, { [threadKey(conversations[0]!)]: true });
    expect(rows.map((row) => row.kind)).toEqual(['thread', 'message', 'message', 'message', 'message', 'thread']);
    expect(new Set(rows.map((row) => row.key)).size).toBe(rows.length);
  });
});

describe('participants', () => {
  it('names people once, in order, and counts the rest', () => {
    expect(participants(conversations[0]!)).toBe('Ann, Bob +1');
    expect(participants(conversations[1]!)).toBe('Dee');
  });
});
