import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ConversationDto } from '../../src/lib/ipc';
import { Conversations, RELOAD_AFTER_MS } from '../../src/lib/state/conversations.svelte';
import { ALICE, fakeIpc, row } from './fake_ipc';

const INBOX = { account: ALICE, folder: 'INBOX' };
const ARCHIVE = { account: ALICE, folder: 'Archive' };

const conversation = (uid: number): ConversationDto => ({ subject: `s${uid}`, unread: 0, latest: uid, messages: [{ account: 'alice@tern.test', folder: 'INBOX', message: row(uid) }] });

afterEach(() => {
  vi.useRealTimers();
});

describe('Conversations', () => {
  it('loads when turned on, forgets when turned off', async () => {
    const fake = fakeIpc({ threads: [conversation(1)] });
    const threads = new Conversations(fake.ipc, () => {});
    await threads.load(INBOX);
    expect(fake.calls.threads).toBeUndefined();
    await threads.set(true, INBOX);
    expect(threads.threads).toHaveLength(1);
    await threads.set(false, INBOX);
    expect(threads.threads).toBeNull();
    // The unified inbox has no conversations: its list shows.
    await threads.set(true, { account: null, folder: 'INBOX' });
    expect(fake.calls.threads).toHaveLength(1);
    expect(fake.calls.threads?.[0]).toEqual([ALICE, 'INBOX', 5000]);
  });

  it('reloads once after a burst of changes, keeping the old list meanwhile', async () => {
    vi.useFakeTimers();
    const fake = fakeIpc({ threads: [conversation(1)] });
    const threads = new Conversations(fake.ipc, () => {});
    await threads.set(true, INBOX);
    fake.answers.threads = [conversation(1), conversation(2)];
    threads.changed(INBOX);
    threads.changed(INBOX);
    threads.changed(ARCHIVE);
    expect(threads.threads).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(RELOAD_AFTER_MS + 10);
    expect(fake.calls.threads).toHaveLength(2);
    expect(threads.threads).toHaveLength(2);
  });

  it('another folder starts empty until it loads', async () => {
    const fake = fakeIpc({ threads: [conversation(1)] });
    const threads = new Conversations(fake.ipc, () => {});
    await threads.set(true, INBOX);
    fake.answers.threads = () => new Promise(() => {});
    void threads.load(ARCHIVE);
    expect(threads.threads).toBeNull();
  });
});
