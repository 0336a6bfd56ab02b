import { describe, expect, it } from 'vitest';
import type { IpcError, SearchHitDto } from '../../src/lib/ipc';
import { Search } from '../../src/lib/state/search.svelte';
import { failure, fakeIpc, row, settle } from './fake_ipc';

const hit = (uid: number, folder = 'INBOX', account = 'alice@tern.test'): SearchHitDto => ({ account, folder, message: row(uid, false, account, folder) });

describe('Search', () => {
  it('finds in every account, ends on an empty query, and each hit names its account and folder', async () => {
    const fake = fakeIpc({ search: [hit(1), hit(2, 'Archive', 'bob@tern.test')] });
    const search = new Search(fake.ipc, () => {});
    await search.search('plans');
    expect(search.hits).toHaveLength(2);
    expect(search.hits?.[1]?.message).toMatchObject({ account: 'bob@tern.test', folder: 'Archive', uid: 2 });
    await search.search('   ');
    expect(search.hits).toBeNull();
    expect(fake.calls.search).toEqual([['plans', 200]]);
  });

  it('drops an answer for a query typed over', async () => {
    let slow: () => void = () => {};
    const fake = fakeIpc({
      search: (query: string) => (query === 'pl' ? new Promise((resolve) => (slow = () => resolve([hit(1)]))) : [hit(2)]),
    });
    const search = new Search(fake.ipc, () => {});
    const first = search.search('pl');
    await search.search('plans');
    slow();
    await first;
    expect(search.hits?.map((h) => h.message.uid)).toEqual([2]);
  });

  it('says when the index is still being built, and searches again once it is done', async () => {
    const fake = fakeIpc({ search: [hit(1)], indexProgress: { indexed: 40_000, messages: 100_000 } });
    const search = new Search(fake.ipc, () => {});
    await search.search('plans');
    expect(search.indexing).toEqual({ indexed: 40_000, messages: 100_000 });
    search.indexed({ indexed: 70_000, messages: 100_000 });
    expect(search.indexing?.indexed).toBe(70_000);
    expect(fake.calls.search).toHaveLength(1);
    fake.answers.search = [hit(1), hit(2)];
    fake.answers.indexProgress = { indexed: 100_000, messages: 100_000 };
    search.indexed({ indexed: 100_000, messages: 100_000 });
    expect(search.indexing).toBeNull();
    await settle();
    expect(fake.calls.search).toHaveLength(2);
    expect(search.hits).toHaveLength(2);
    // Not searching: the index finishing searches nothing.
    await search.search('');
    search.indexed({ indexed: 5, messages: 10 });
    search.indexed({ indexed: 10, messages: 10 });
    await settle();
    expect(fake.calls.search).toHaveLength(2);
  });

  it('reports a failed search', async () => {
    const errors: IpcError[] = [];
    const search = new Search(fakeIpc({ search: failure('bad query', 'invalid') }).ipc, (error) => errors.push(error));
    await search.search('"');
    expect(errors).toHaveLength(1);
    expect(search.hits).toBeNull();
  });
});
