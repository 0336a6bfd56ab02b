// The folder on screen (or the unified inbox) and its list: pages of rows fetched as the
// list scrolls, refetched when events say the folder changed, changed at once by the
// person's actions (the engine queues them for the server, each on its own account).
import type { ActionInput, Ipc, MessageRowDto } from '../ipc';
import { guard, type OnError } from './guard';
import { PAGE_SIZE, PageCache } from './pages.svelte';
import { afterPaint } from './paint';
import { mark, marksReport } from './marks';
import { byFolder, shows, UNIFIED, type Place, type RowRef } from './place';

export class FolderView {
  place = $state<Place>(UNIFIED);
  pages = $state.raw(new PageCache(UNIFIED));
  /** Rows on screen, for refetching after events. */
  private shown = { start: 0, end: 0 };
  private firstRowsReported = false;

  constructor(
    private readonly ipc: Ipc,
    private readonly onError: OnError,
  ) {}

  /** Messages in the folder (as far as the cache knows). */
  get total(): number {
    return this.pages.total;
  }

  /** The folder's name (INBOX for the unified inbox). */
  get folder(): string {
    return this.place.folder;
  }

  /** Shows `place` (its cached count known: `total`), from the top. */
  show(place: Place, total: number): void {
    this.place = place;
    const pages = new PageCache(place);
    pages.total = total;
    this.pages = pages;
    void this.fill(0, PAGE_SIZE);
    void this.ipc.showFolder(place.account, place.folder).catch(() => {});
  }

  row(index: number): MessageRowDto | undefined {
    return this.pages.row(index);
  }

  indexOf(ref: RowRef): number {
    return this.pages.indexOf(ref);
  }

  /** Makes sure rows [start, end) are loaded (called by the list as it scrolls). */
  async fill(start: number, end: number): Promise<void> {
    this.shown = { start, end };
    const pages = this.pages;
    const wanted = pages.wanted(start, Math.max(end, start + 1));
    await Promise.all(
      wanted.map(async (page) => {
        // One fetch per page and generation (of this cache: a folder shown again starts
        // afresh): an event during a fetch starts another.
        const generation = pages.generation;
        if (!pages.startFetch(page, generation)) return;
        const place = pages.place;
        const result = await guard(
          () =>
            place.account === null
              ? this.ipc.unifiedMessages(page * PAGE_SIZE, PAGE_SIZE)
              : this.ipc.messages(place.account, place.folder, page * PAGE_SIZE, PAGE_SIZE),
          this.onError,
        );
        pages.endFetch(page, generation);
        if (result && pages === this.pages) {
          mark('page');
          pages.put(page * PAGE_SIZE, result.rows, result.total, generation);
        }
      }),
    );
    this.pages.trim(start, end);
    // The first screen of the list (rows, or an empty folder) is painted: the backend starts
    // the network after this, and the start-up benchmark times it.
    if (!this.firstRowsReported && (this.total === 0 || this.pages.row(start))) {
      this.firstRowsReported = true;
      mark('rows');
      await afterPaint();
      mark('painted');
      void this.ipc.painted('first_rows', Math.min(this.total, end - start), marksReport()).catch(() => {});
    }
  }

  /** The folder changed on the backend (now `total` messages): refetch the rows on screen. */
  async changed(total: number | undefined, added: number): Promise<void> {
    this.pages.invalidate(total);
    await this.fill(this.shown.start, this.shown.end);
    if (added > 0) {
      await afterPaint();
      void this.ipc.painted('new_rows', added).catch(() => {});
    }
  }

  /**
   * Changes messages now (optimistically on screen when they show here); the engine of each
   * message's account queues the change for its server. Returns whether every account took it.
   */
  async act(action: ActionInput, refs: RowRef[]): Promise<boolean> {
    const change = optimistic(action);
    if (change) {
      for (const ref of refs) {
        if (shows(this.place, ref.account, ref.folder)) this.pages.update(ref, change);
      }
    }
    let all = true;
    for (const group of byFolder(refs)) {
      const done = await guard(() => this.ipc.act(group.account, group.folder, group.uids, action), this.onError);
      if (done === undefined) all = false;
    }
    // What the screen shows may be wrong now: the cache is the truth.
    if (!all) void this.changed(undefined, 0);
    return all;
  }
}

/** How an action changes a row on screen before the backend answers (moves: not at all). */
export function optimistic(action: ActionInput): ((row: MessageRowDto) => MessageRowDto) | null {
  switch (action.kind) {
    case 'mark_read':
      return (row) => ({ ...row, seen: true });
    case 'mark_unread':
      return (row) => ({ ...row, seen: false });
    case 'flag':
      return (row) => ({ ...row, flagged: true });
    case 'unflag':
      return (row) => ({ ...row, flagged: false });
    default:
      return null;
  }
}
