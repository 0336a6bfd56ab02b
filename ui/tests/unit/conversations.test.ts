import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ConversationDto } from '../../src/lib/ipc';
import { Conversations, RELOAD_AFTER_MS } from '../../src/lib/state/conversations.svelte';
import { fakeIpc, row } from './fake_ipc';

const conversation = (uid: number): ConversationDto => ({ subject: `s${uid}`, unread: 0, latest: uid, messages: [{ folder: 'INBOX', message: row(uid) }] });

afterEach(() => {
  vi.useRealTimers();
});

describe('Conversations', () => {
  it('loads when turned on, forgets when turned off', async () => {
    const fake = fakeIpc({ threads: [conversation(1)] });
    const threads = new Conversations(fake.ipc, () => {});
    await threads.load('INBOX');
    expect(fake.calls.threads).toBeUndefined();
    await threads.set(true, 'INBOX');
    expect(threads.threads).toHaveLength(1);
    await threads.set(false, 'INBOX');
    expect(threads.threads).toBeNull();
  });

  it('reloads once after a burst of changes, keeping the old list meanwhile', async () => {
    vi.useFakeTimers();
    const fake = fakeIpc({ threads: [conversation(1)] });
    const threads = new Conversations(fake.ipc, () => {});
    await threads.set(true, 'INBOX');
    fake.answers.threads = [conversation(1), conversation(2)];
    threads.changed('INBOX');
    threads.changed('INBOX');
    threads.changed('Archive');
    expect(threads.threads).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(RELOAD_AFTER_MS + 10);
    expect(fake.calls.threads).toHaveLength(2);
    expect(threads.threads).toHaveLength(2);
  });

  it('another folder starts empty until it loads', async () => {
    const fake = fakeIpc({ threads: [conversation(1)] });
    const threads = new Conversations(fake.ipc, () => {});
    await threads.set(true, 'INBOX');
    fake.answers.threads = () => new Promise(() => {});
    void threads.load('Archive');
    expect(threads.threads).toBeNull();
  });
});
