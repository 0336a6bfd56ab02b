import { describe, expect, it } from 'vitest';
import { Reader } from '../../src/lib/state/reader.svelte';
import { ALICE, failure, fakeIpc, message, settle } from './fake_ipc';

const at = (uid: number, account = ALICE) => ({ account, folder: 'INBOX', uid });

describe('Reader', () => {
  it('opens the selected message', async () => {
    const fake = fakeIpc({ openMessage: (account: string, folder: string, uid: number) => message(folder, uid, account) });
    const reader = new Reader(fake.ipc);
    const opened = await reader.open(at(7), false);
    expect(opened?.uid).toBe(7);
    expect(reader.message?.uid).toBe(7);
    expect(reader.opening).toBe(false);
    expect(fake.calls.openMessage).toEqual([[ALICE, 'INBOX', 7, false]]);
  });

  it('says why a message could not be opened', async () => {
    const reader = new Reader(fakeIpc({ openMessage: failure('the server no longer has it', 'other') }).ipc);
    expect(await reader.open(at(7), false)).toBeNull();
    expect(reader.message).toBeNull();
    expect(reader.error?.message).toBe('the server no longer has it');
  });

  it('a slow answer for a message no longer selected does not replace the newer one', async () => {
    let slow: () => void = () => {};
    const fake = fakeIpc({
      openMessage: (_account: string, folder: string, uid: number) =>
        uid === 1 ? new Promise((resolve) => (slow = () => resolve(message(folder, 1)))) : message(folder, uid),
    });
    const reader = new Reader(fake.ipc);
    const first = reader.open(at(1), false);
    await reader.open(at(2), false);
    slow();
    expect(await first).toBeNull();
    await settle();
    expect(reader.message?.uid).toBe(2);
    expect(reader.opening).toBe(false);
  });

  it('closes the open message when it leaves the folder, and clears', async () => {
    const reader = new Reader(fakeIpc({ openMessage: (account: string, folder: string, uid: number) => message(folder, uid, account) }).ipc);
    await reader.open(at(3), false);
    reader.left([at(9)]);
    expect(reader.message?.uid).toBe(3);
    reader.left([at(3, 'bob@tern.test')]);
    expect(reader.message?.uid).toBe(3);
    reader.left([at(3)]);
    expect(reader.message).toBeNull();
    reader.clear();
    expect(reader.selected).toBeNull();
  });
});
