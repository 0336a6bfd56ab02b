import { describe, expect, it } from 'vitest';
import { AppModel } from '../../src/lib/state/app.svelte';
import { appState, failure, fakeIpc, message, pages, settle } from './fake_ipc';

async function loaded(inbox = 3) {
  const fake = fakeIpc({
    appState: appState(inbox),
    messages: pages(inbox),
    openMessage: (folder: string, uid: number) => message(folder, uid),
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
    const fresh = new AppModel(fakeIpc({ appState: appState(0, { account: null, snapshot: null }) }).ipc);
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
    expect(model.list).toEqual({ kind: 'folder', folder: 'INBOX' });
    await model.conversations.set(true, 'INBOX');
    expect(model.list).toEqual({ kind: 'conversations', threads: [] });
    fake.answers.search = [{ folder: 'INBOX', message: { ...pages(3)('INBOX', 0, 1).rows[0]! } }];
    await model.search.search('m3');
    expect(model.list.kind).toBe('search');
    model.setFolder('Archive');
    expect(model.list).toEqual({ kind: 'conversations', threads: null });
  });

  it('opening an unread message marks it read through the action path', async () => {
    const { fake, model } = await loaded();
    await model.open(3);
    expect(model.reader.message?.uid).toBe(3);
    expect(fake.calls.act).toEqual([['INBOX', [3], { kind: 'mark_read' }]]);
    expect(model.folder.row(0)?.seen).toBe(true);
    await model.open(3);
    expect(fake.calls.act).toHaveLength(1);
  });

  it('a moved message closes in the reader; a refused one stays', async () => {
    const { fake, model } = await loaded();
    await model.open(2);
    fake.answers.act = failure('no Archive folder', 'other');
    await model.act({ kind: 'archive' }, [2]);
    expect(model.reader.message?.uid).toBe(2);
    expect(model.shell.error?.message).toBe('no Archive folder');
    fake.answers.act = { changed: [2], pending: 1 };
    await model.act({ kind: 'archive' }, [2]);
    expect(model.reader.message).toBeNull();
  });

  it('an event for the folder on screen refetches it; one for another folder does not', async () => {
    const { fake, model } = await loaded(3);
    const before = fake.calls.messages?.length ?? 0;
    model.onEvent({ event: 'folder_changed', folder: 'Archive', added: 1, removed: 0, flags_changed: 0, resync: false, total: 1, unread: 1 });
    await settle();
    expect(fake.calls.messages).toHaveLength(before);
    fake.answers.messages = pages(4);
    model.onEvent({ event: 'folder_changed', folder: 'INBOX', added: 1, removed: 0, flags_changed: 0, resync: false, total: 4, unread: 2 });
    await settle();
    expect(model.folder.total).toBe(4);
    expect(model.folder.row(0)?.uid).toBe(4);
  });

  it('showing another folder clears the selection and the search', async () => {
    const { fake, model } = await loaded();
    await model.open(1);
    await model.search.search('x');
    model.setFolder('Archive');
    expect(model.reader.selected).toBeNull();
    expect(model.search.hits).toBeNull();
    expect(fake.calls.showFolder?.at(-1)).toEqual(['Archive']);
  });

  it('composes a reply to the open message', async () => {
    const { fake, model } = await loaded();
    fake.answers.compose = { to: 'ann@x', cc: '', bcc: '', subject: 'Re: m1', text: '', in_reply_to: 'x', references: [], attachments: [], with_html: false };
    await model.compose('reply');
    expect(fake.calls.compose).toBeUndefined();
    await model.open(1);
    await model.compose('reply');
    expect(fake.calls.compose).toEqual([['reply', 'INBOX', 1]]);
    expect(model.composer.draft?.subject).toBe('Re: m1');
  });
});
