import { describe, expect, it } from 'vitest';
import type { IpcError, SearchHitDto } from '../../src/lib/ipc';
import { Search } from '../../src/lib/state/search.svelte';
import { failure, fakeIpc, row } from './fake_ipc';

const hit = (uid: number, folder = 'INBOX'): SearchHitDto => ({ folder, message: row(uid) });

describe('Search', () => {
  it('finds, ends on an empty query, and knows each hit’s folder', async () => {
    const fake = fakeIpc({ search: [hit(1), hit(2, 'Archive')] });
    const search = new Search(fake.ipc, () => {});
    await search.search('plans');
    expect(search.hits).toHaveLength(2);
    expect(search.folderOf(2)).toBe('Archive');
    expect(search.folderOf(9)).toBeUndefined();
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

  it('reports a failed search', async () => {
    const errors: IpcError[] = [];
    const search = new Search(fakeIpc({ search: failure('bad query', 'invalid') }).ipc, (error) => errors.push(error));
    await search.search('"');
    expect(errors).toHaveLength(1);
    expect(search.hits).toBeNull();
  });
});
