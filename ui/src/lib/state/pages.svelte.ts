// The rows of one folder's list loaded so far, in pages fetched on demand by position. Events
// invalidate pages (the cache on the backend is the truth); rows stay visible until their
// replacement arrives, so the list never flashes empty. Reactive: a view reading a row
// redraws when its page arrives or changes.
import { SvelteMap } from 'svelte/reactivity';
import type { MessageRowDto } from '../ipc';
import { sameRow, type Place, type RowRef } from './place';

export const PAGE_SIZE = 100;

export class PageCache {
  readonly place: Place;
  total = $state(0);
  /** Bumped by every invalidation: a fetch that started before it stays stale. */
  generation = 0;
  private pages = new SvelteMap<number, MessageRowDto[]>();
  private stale = new Set<number>();
  /** Fetches under way, as `page:generation`. */
  private fetching = new Set<string>();

  constructor(place: Place) {
    this.place = place;
  }

  /** Pages needed to show rows [start, end) that are missing or stale. */
  wanted(start: number, end: number): number[] {
    const pages: number[] = [];
    if (end <= start) return pages;
    for (let page = Math.floor(start / PAGE_SIZE); page <= Math.floor((end - 1) / PAGE_SIZE); page++) {
      if (!this.pages.has(page) || this.stale.has(page)) pages.push(page);
    }
    return pages;
  }

  /** Notes a fetch of `page` for `generation`; false when one is already under way. */
  startFetch(page: number, generation: number): boolean {
    const key = `${page}:${generation}`;
    if (this.fetching.has(key)) return false;
    this.fetching.add(key);
    return true;
  }

  endFetch(page: number, generation: number): void {
    this.fetching.delete(`${page}:${generation}`);
  }

  /** Stores a fetched page; `generation` is the cache's generation when the fetch started. */
  put(offset: number, rows: MessageRowDto[], total: number, generation = this.generation): void {
    const page = Math.floor(offset / PAGE_SIZE);
    this.pages.set(page, rows);
    if (generation === this.generation) {
      this.stale.delete(page);
      this.total = total;
    } else {
      this.stale.add(page);
    }
  }

  row(index: number): MessageRowDto | undefined {
    return this.pages.get(Math.floor(index / PAGE_SIZE))?.[index % PAGE_SIZE];
  }

  /** Position of a message in the loaded pages, or -1. */
  indexOf(ref: RowRef): number {
    for (const [page, rows] of this.pages) {
      const at = rows.findIndex((row) => sameRow(row, ref));
      if (at >= 0) return page * PAGE_SIZE + at;
    }
    return -1;
  }

  /** Changes a loaded row in place (an optimistic action), returning whether it was found. */
  update(ref: RowRef, change: (row: MessageRowDto) => MessageRowDto): boolean {
    for (const [page, rows] of this.pages) {
      const at = rows.findIndex((row) => sameRow(row, ref));
      if (at >= 0) {
        // A new array: the page's readers redraw.
        const changed = rows.slice();
        changed[at] = change(rows[at] as MessageRowDto);
        this.pages.set(page, changed);
        return true;
      }
    }
    return false;
  }

  /** Everything may have changed: refetch what is shown, keep showing the old rows meanwhile. */
  invalidate(total?: number): void {
    this.generation++;
    for (const page of this.pages.keys()) this.stale.add(page);
    if (total !== undefined) this.total = total;
  }

  /** Forget pages far from the rows shown, to bound memory on long scrolls. */
  trim(start: number, end: number, keep = 20): void {
    const first = Math.floor(start / PAGE_SIZE) - keep;
    const last = Math.floor(end / PAGE_SIZE) + keep;
    for (const page of [...this.pages.keys()]) {
      if (page < first || page > last) {
        this.pages.delete(page);
        this.stale.delete(page);
      }
    }
  }
}
