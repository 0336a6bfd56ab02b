import { describe, expect, it } from 'vitest';
import { PAGE_SIZE, PageCache } from '../../src/lib/state/pages.svelte';
import type { MessageRowDto } from '../../src/lib/ipc';

const at = (uid: number) => ({ account: 'alice@tern.test', folder: 'INBOX', uid });

function rows(from: number, count: number): MessageRowDto[] {
  return Array.from({ length: count }, (_, i) => ({
    account: 'alice@tern.test',
    folder: 'INBOX',
    uid: from - i,
    subject: `m${from - i}`,
    from: 'Ann',
    from_address: 'ann@x',
    date: 0,
    seen: false,
    flagged: false,
    answered: false,
    attachments: false,
    labels: [],
    preview: "",
  }));
}

describe('PageCache', () => {
  it('asks only for the pages a window needs and does not have', () => {
    const cache = new PageCache({ account: 'alice@tern.test', folder: 'INBOX' });
    expect(cache.wanted(0, 30)).toEqual([0]);
    expect(cache.wanted(90, 130)).toEqual([0, 1]);
    cache.put(0, rows(1000, PAGE_SIZE), 1000);
    expect(cache.wanted(90, 130)).toEqual([1]);
    expect(cache.row(0)?.uid).toBe(1000);
    expect(cache.row(99)?.uid).toBe(901);
    expect(cache.row(100)).toBeUndefined();
  });

  it('keeps showing rows after an event until their refetch arrives', () => {
    const cache = new PageCache({ account: 'alice@tern.test', folder: 'INBOX' });
    cache.put(0, rows(1000, PAGE_SIZE), 1000);
    cache.invalidate(1001);
    expect(cache.total).toBe(1001);
    expect(cache.row(0)?.uid).toBe(1000);
    expect(cache.wanted(0, 10)).toEqual([0]);
    cache.put(0, rows(1001, PAGE_SIZE), 1001);
    expect(cache.wanted(0, 10)).toEqual([]);
    expect(cache.indexOf(at(1001))).toBe(0);
    expect(cache.indexOf({ ...at(1001), account: 'bob@tern.test' })).toBe(-1);
  });

  it('keeps a page stale when an event came while it was being fetched', () => {
    const cache = new PageCache({ account: 'alice@tern.test', folder: 'INBOX' });
    const started = cache.generation;
    cache.invalidate(1001);
    cache.put(0, rows(1000, PAGE_SIZE), 1000, started);
    expect(cache.row(0)?.uid).toBe(1000);
    expect(cache.wanted(0, 10)).toEqual([0]);
    expect(cache.total).toBe(1001);
  });

  it('updates a row in place and forgets far pages', () => {
    const cache = new PageCache({ account: 'alice@tern.test', folder: 'INBOX' });
    cache.put(0, rows(10_000, PAGE_SIZE), 10_000);
    cache.put(50 * PAGE_SIZE, rows(5_000, PAGE_SIZE), 10_000);
    expect(cache.update(at(9_999), (row) => ({ ...row, seen: true }))).toBe(true);
    expect(cache.row(1)?.seen).toBe(true);
    expect(cache.update(at(1), (row) => row)).toBe(false);
    cache.trim(50 * PAGE_SIZE, 50 * PAGE_SIZE + 20, 5);
    expect(cache.row(0)).toBeUndefined();
    expect(cache.row(50 * PAGE_SIZE)?.uid).toBe(5_000);
  });
});
