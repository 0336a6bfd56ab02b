import { describe, expect, it } from 'vitest';
import { AppModel } from '../../src/lib/state/app.svelte';
import { accountState, ALICE, appState, BOB, failure, fakeIpc, message, pages, row, settle } from './fake_ipc';

const at = (uid: number, account = ALICE, folder = 'INBOX') => ({ account, folder, uid });

async function loaded(inbox = 3) {
  const fake = fakeIpc({
    appState: appState(inbox),
    messages: pages(inbox),
    openMessage: (account: string, folder: string, uid: number) => message(folder, uid, account),
    act: { changed: [], pending: 1 },
    search: [],
    threads: [],
  });
  const model = new AppModel(fake.ipc);
  await model.load();
  await settle();
  return { fake, model };
}

describe('AppModel', () => {
  it('says what the window shows: loading, setup, the mailbox, or a damaged cache', async () => {
    const fresh = new AppModel(fakeIpc({ appState: appState(0, { accounts: [] }) }).ipc);
    expect(fresh.screen.kind).toBe('loading');
    await fresh.load();
    expect(fresh.screen.kind).toBe('setup');
    const broken = new AppModel(fakeIpc({ appState: failure('backend gone', 'other') }).ipc);
    await broken.load();
    expect(broken.screen.kind).toBe('setup');
    expect(broken.shell.error?.message).toBe('backend gone');
    const { model } = await loaded();
    expect(model.screen.kind).toBe('mailbox');
    model.onEvent({ event: 'cache_damaged', message: 'damaged' });
    expect(model.screen).toEqual({ kind: 'damaged', error: { code: 'cache_damaged', message: 'damaged' } });
  });

  it('says what the list pane shows: the folder, search hits, or conversations', async () => {
    const { fake, model } = await loaded();
    expect(model.list).toEqual({ kind: 'folder', place: { account: ALICE, folder: 'INBOX' } });
    await model.conversations.set(true, { account: ALICE, folder: 'INBOX' });
    expect(model.list).toEqual({ kind: 'conversations', threads: [] });
    fake.answers.search = [{ account: ALICE, folder: 'INBOX', message: { ...pages(3)(ALICE, 'INBOX', 0, 1).rows[0]! } }];
    await model.search.search('m3');
    expect(model.list.kind).toBe('search');
    model.setFolder(ALICE, 'Archive');
    expect(model.list).toEqual({ kind: 'conversations', threads: null });
  });

  it('opening an unread message marks it read through the action path', async () => {
    const { fake, model } = await loaded();
    await model.open(at(3));
    expect(model.reader.message?.uid).toBe(3);
    expect(fake.calls.act).toEqual([[ALICE, 'INBOX', [3], { kind: 'mark_read' }]]);
    expect(model.folder.row(0)?.seen).toBe(true);
    await model.open(at(3));
    expect(fake.calls.act).toHaveLength(1);
  });

  it('a clicked notification shows its message (read) or its folder, and a link opens a compose form', async () => {
    const { fake, model } = await loaded();
    model.setFolder(ALICE, 'Archive');
    model.onEvent({ event: 'open', account: ALICE, folder: 'INBOX', uid: 2 });
    await settle();
    expect(model.folder.place).toEqual({ account: ALICE, folder: 'INBOX' });
    expect(model.reader.message?.uid).toBe(2);
    expect(fake.calls.act?.at(-1)).toEqual([ALICE, 'INBOX', [2], { kind: 'mark_read' }]);
    // A summary: the folder, nothing opened.
    model.onEvent({ event: 'open', account: null, folder: 'INBOX', uid: null });
    await settle();
    expect(model.folder.place.account).toBeNull();
    expect(model.reader.message).toBeNull();
    fake.answers.takeMailto = { account: ALICE, to: 'bob@x', cc: '', bcc: '', subject: 'From a link', text: '', in_reply_to: null, references: [], attachments: [], with_html: false };
    model.onEvent({ event: 'mailto_opened' });
    await settle();
    expect(model.composer.draft?.subject).toBe('From a link');
  });

  it('a moved message closes in the reader; a refused one stays', async () => {
    const { fake, model } = await loaded();
    await model.open(at(2));
    fake.answers.act = failure('no Archive folder', 'other');
    await model.act({ kind: 'archive' }, [at(2)]);
    expect(model.reader.message?.uid).toBe(2);
    expect(model.shell.error?.message).toBe('no Archive folder');
    fake.answers.act = { changed: [2], pending: 1 };
    await model.act({ kind: 'archive' }, [at(2)]);
    expect(model.reader.message).toBeNull();
  });

  it('an event for the folder on screen refetches it; one for another folder does not', async () => {
    const { fake, model } = await loaded(3);
    const before = fake.calls.messages?.length ?? 0;
    model.onEvent({ event: 'folder_changed', account: ALICE, folder: 'Archive', added: 1, removed: 0, flags_changed: 0, resync: false, total: 1, unread: 1 });
    await settle();
    expect(fake.calls.messages).toHaveLength(before);
    fake.answers.messages = pages(4);
    model.onEvent({ event: 'folder_changed', account: ALICE, folder: 'INBOX', added: 1, removed: 0, flags_changed: 0, resync: false, total: 4, unread: 2 });
    await settle();
    expect(model.folder.total).toBe(4);
    expect(model.folder.row(0)?.uid).toBe(4);
  });

  it('showing another folder clears the selection and the search', async () => {
    const { fake, model } = await loaded();
    await model.open(at(1));
    await model.search.search('x');
    model.setFolder(ALICE, 'Archive');
    expect(model.reader.selected).toBeNull();
    expect(model.search.hits).toBeNull();
    expect(fake.calls.showFolder?.at(-1)).toEqual([ALICE, 'Archive']);
  });

  it('composes a reply to the open message', async () => {
    const { fake, model } = await loaded();
    fake.answers.compose = { account: ALICE, to: 'ann@x', cc: '', bcc: '', subject: 'Re: m1', text: '', in_reply_to: 'x', references: [], attachments: [], with_html: false };
    await model.compose('reply');
    expect(fake.calls.compose).toBeUndefined();
    await model.open(at(1));
    await model.compose('reply');
    expect(fake.calls.compose).toEqual([[ALICE, 'reply', 'INBOX', 1]]);
    expect(model.composer.draft?.subject).toBe('Re: m1');
  });

  it('with several accounts, starts on the unified inbox; its rows name their accounts and actions go to each', async () => {
    const unified = [row(7, false, BOB), row(7, false, ALICE), row(6, true, BOB)];
    const fake = fakeIpc({
      appState: appState(0, { accounts: [accountState(ALICE, 1), accountState(BOB, 2)] }),
      unifiedMessages: (offset: number) => ({ folder: 'INBOX', offset, total: 3, unread: 2, rows: offset === 0 ? unified : [] }),
      messages: pages(2),
      openMessage: (account: string, folder: string, uid: number) => message(folder, uid, account),
      act: { changed: [], pending: 1 },
    });
    const model = new AppModel(fake.ipc);
    await model.load();
    await settle();
    expect(model.folder.place).toEqual({ account: null, folder: 'INBOX' });
    expect(model.folder.total).toBe(3);
    expect(model.shell.unifiedUnread).toBe(2);
    expect(fake.calls.showFolder?.at(-1)).toEqual([null, 'INBOX']);
    // The same UID in two accounts is two messages.
    await model.open(at(7, ALICE));
    expect(model.reader.message?.account).toBe(ALICE);
    expect(model.folder.row(0)?.seen).toBe(false);
    expect(model.folder.row(1)?.seen).toBe(true);
    await model.act({ kind: 'archive' }, [at(7, BOB), at(6, BOB), at(7, ALICE)]);
    expect(fake.calls.act?.slice(1)).toEqual([
      [BOB, 'INBOX', [7, 6], { kind: 'archive' }],
      [ALICE, 'INBOX', [7], { kind: 'archive' }],
    ]);
    expect(model.reader.message).toBeNull();
    // Either account's INBOX changing refetches the unified list; another folder does not.
    const before = fake.calls.unifiedMessages?.length ?? 0;
    model.onEvent({ event: 'folder_changed', account: BOB, folder: 'Archive', added: 1, removed: 0, flags_changed: 0, resync: false, total: 1, unread: 0 });
    await settle();
    expect(fake.calls.unifiedMessages).toHaveLength(before);
    fake.answers.unifiedMessages = { folder: 'INBOX', offset: 0, total: 4, unread: 3, rows: [row(8, false, BOB), ...unified] };
    model.onEvent({ event: 'folder_changed', account: BOB, folder: 'INBOX', added: 1, removed: 0, flags_changed: 0, resync: false, total: 3, unread: 2 });
    await settle();
    expect(fake.calls.unifiedMessages!.length).toBeGreaterThan(before);
    expect(model.folder.total).toBe(4);
    expect(model.folder.row(0)).toMatchObject({ account: BOB, uid: 8 });
    expect(model.shell.unifiedUnread).toBe(3);
  });

  it('a new message is written from the account in view, or the one the message came to', async () => {
    const fake = fakeIpc({
      appState: appState(0, { accounts: [accountState(ALICE, 1, { can_send: false }), accountState(BOB, 1)] }),
      unifiedMessages: { folder: 'INBOX', offset: 0, total: 0, unread: 0, rows: [] },
      messages: pages(1),
      openMessage: (account: string, folder: string, uid: number) => message(folder, uid, account),
      act: { changed: [], pending: 1 },
      compose: (account: string) => ({ account, to: '', cc: '', bcc: '', subject: '', text: '', in_reply_to: null, references: [], attachments: [], with_html: false }),
    });
    const model = new AppModel(fake.ipc);
    await model.load();
    model.setFolder(ALICE, 'INBOX');
    await model.compose('new');
    expect(fake.calls.compose?.at(-1)?.[0]).toBe(BOB);
    model.setFolder(BOB, 'INBOX');
    await model.open(at(1, BOB));
    await model.compose('reply');
    expect(fake.calls.compose?.at(-1)).toEqual([BOB, 'reply', 'INBOX', 1]);
  });

  it('signs an account in again: the banner says a refusal, a success loads the accounts again', async () => {
    const { fake, model } = await loaded();
    fake.answers.signIn = failure('The sign-in was declined', 'sign_in_needed');
    const loads = fake.calls.appState?.length ?? 0;
    const signing = model.signIn(ALICE);
    expect(model.signingIn).toBe(ALICE);
    await signing;
    expect(model.signingIn).toBeNull();
    expect(model.shell.error?.message).toBe('The sign-in was declined');
    expect(fake.calls.appState).toHaveLength(loads);
    fake.answers.signIn = null;
    await model.signIn(ALICE);
    expect(fake.calls.signIn).toEqual([[ALICE], [ALICE]]);
    expect(fake.calls.appState).toHaveLength(loads + 1);
  });
});
