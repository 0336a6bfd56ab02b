import { describe, expect, it } from 'vitest';
import type { IpcError } from '../../src/lib/ipc';
import { FolderView, optimistic } from '../../src/lib/state/folder_view.svelte';
import { ALICE, BOB, failure, fakeIpc, pages, row, settle } from './fake_ipc';

const INBOX = { account: ALICE, folder: 'INBOX' };
const at = (uid: number, account = ALICE) => ({ account, folder: 'INBOX', uid });

function view(total = 250) {
  const errors: IpcError[] = [];
  const fake = fakeIpc({ messages: pages(total) });
  return { fake, errors, folder: new FolderView(fake.ipc, (error) => errors.push(error)) };
}

describe('FolderView', () => {
  it('shows a folder from the top: its first page, then what scrolling reaches', async () => {
    const { fake, folder } = view();
    folder.show(INBOX, 250);
    await settle();
    expect(folder.total).toBe(250);
    expect(folder.row(0)?.uid).toBe(250);
    expect(fake.calls.showFolder).toEqual([[ALICE, 'INBOX']]);
    expect(fake.calls.painted?.[0]?.slice(0, 2)).toEqual(['first_rows', 100]);
    expect(String(fake.calls.painted?.[0]?.[2])).toMatch(/^origin=\d+ .*rows=\d+ painted=\d+/);
    await folder.fill(150, 180);
    expect(folder.row(150)?.uid).toBe(100);
    // Pages already there are not fetched again.
    await folder.fill(0, 30);
    expect(fake.calls.messages).toHaveLength(2);
  });

  it('changes a row at once for a flag action, and refetches when the backend refuses', async () => {
    const { fake, folder, errors } = view();
    folder.show(INBOX, 250);
    await settle();
    expect(await folder.act({ kind: 'mark_read' }, [at(250)])).toBe(true);
    expect(folder.row(0)?.seen).toBe(true);
    fake.answers.act = failure('the cache is busy', 'other');
    expect(await folder.act({ kind: 'flag' }, [at(249)])).toBe(false);
    expect(errors.map((error) => error.message)).toEqual(['the cache is busy']);
    await settle();
    // The refetch replaced the optimistic row with the backend's.
    expect(folder.row(1)?.flagged).toBe(false);
  });

  it('refetches what is shown when the folder changed, and says new rows were painted', async () => {
    const { fake, folder } = view(3);
    folder.show(INBOX, 3);
    await settle();
    fake.answers.messages = pages(4);
    await folder.changed(4, 1);
    expect(folder.total).toBe(4);
    expect(folder.row(0)?.uid).toBe(4);
    expect(fake.calls.painted?.at(-1)).toEqual(['new_rows', 1]);
  });

  it('a page that arrives for a folder no longer shown is dropped', async () => {
    const { fake, folder } = view();
    let release: () => void = () => {};
    fake.answers.messages = () => new Promise((resolve) => (release = () => resolve(pages(250)(ALICE, 'INBOX', 0, 100))));
    folder.show(INBOX, 250);
    fake.answers.messages = pages(5);
    folder.show({ account: ALICE, folder: 'Archive' }, 5);
    release();
    await settle();
    expect(folder.folder).toBe('Archive');
    expect(folder.row(0)?.uid).toBe(5);
  });

  it('a folder shown again while its first page is on the way fetches it again', async () => {
    const { fake, folder } = view();
    fake.answers.messages = () => new Promise(() => {});
    folder.show(INBOX, 250);
    fake.answers.messages = pages(250);
    folder.show(INBOX, 250);
    await settle();
    expect(fake.calls.messages).toHaveLength(2);
    expect(folder.row(0)?.uid).toBe(250);
  });

  it('the unified inbox pages through every INBOX; a row of another account with the same UID is another message', async () => {
    const fake = fakeIpc({
      unifiedMessages: (offset: number) => ({ folder: 'INBOX', offset, total: 2, unread: 2, rows: [row(5, false, BOB), row(5, false, ALICE)] }),
      act: { changed: [], pending: 1 },
    });
    const folder = new FolderView(fake.ipc, () => {});
    folder.show({ account: null, folder: 'INBOX' }, 2);
    await settle();
    expect(fake.calls.unifiedMessages).toEqual([[0, 100]]);
    expect(fake.calls.showFolder).toEqual([[null, 'INBOX']]);
    expect(await folder.act({ kind: 'flag' }, [at(5, ALICE)])).toBe(true);
    expect(folder.row(0)?.flagged).toBe(false);
    expect(folder.row(1)?.flagged).toBe(true);
    expect(fake.calls.act).toEqual([[ALICE, 'INBOX', [5], { kind: 'flag' }]]);
    expect(folder.indexOf(at(5, BOB))).toBe(0);
  });

  it('moves change nothing on screen before the backend answers', () => {
    expect(optimistic({ kind: 'archive' })).toBeNull();
    expect(optimistic({ kind: 'mark_unread' })?.(row(1, true)).seen).toBe(false);
    expect(optimistic({ kind: 'unflag' })?.({ ...row(1), flagged: true }).flagged).toBe(false);
  });
});
