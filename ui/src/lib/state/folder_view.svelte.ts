// The folder on screen and its list: pages of rows fetched as the list scrolls, refetched
// when events say the folder changed, changed at once by the person's actions (the engine
// queues them for the server).
import type { ActionInput, Ipc, MessageRowDto } from '../ipc';
import { guard, type OnError } from './guard';
import { PAGE_SIZE, PageCache } from './pages.svelte';
import { afterPaint } from './paint';

export class FolderView {
  folder = $state('INBOX');
  pages = $state.raw(new PageCache('INBOX'));
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

  /** Shows `folder` (its cached count known: `total`), from the top. */
  show(folder: string, total: number): void {
    this.folder = folder;
    const pages = new PageCache(folder);
    pages.total = total;
    this.pages = pages;
    void this.fill(0, PAGE_SIZE);
    void this.ipc.showFolder(folder).catch(() => {});
  }

  row(index: number): MessageRowDto | undefined {
    return this.pages.row(index);
  }

  indexOf(uid: number): number {
    return this.pages.indexOf(uid);
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
        const result = await guard(
          () => this.ipc.messages(pages.folder, page * PAGE_SIZE, PAGE_SIZE),
          this.onError,
        );
        pages.endFetch(page, generation);
        if (result && pages === this.pages) pages.put(page * PAGE_SIZE, result.rows, result.total, generation);
      }),
    );
    this.pages.trim(start, end);
    // The first screen of the list (rows, or an empty folder) is painted: the backend starts
    // the network after this, and the start-up benchmark times it.
    if (!this.firstRowsReported && (this.total === 0 || this.pages.row(start))) {
      this.firstRowsReported = true;
      await afterPaint();
      void this.ipc.painted('first_rows', Math.min(this.total, end - start)).catch(() => {});
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
   * Changes messages of `folder` now (optimistically on screen when it is this one); the
   * engine queues the change for the server. Returns whether the backend took it.
   */
  async act(action: ActionInput, uids: number[], folder: string): Promise<boolean> {
    const change = optimistic(action);
    if (change && folder === this.folder) {
      for (const uid of uids) this.pages.update(uid, change);
    }
    const done = await guard(() => this.ipc.act(folder, uids, action), this.onError);
    if (done === undefined) {
      // What the screen shows may be wrong now: the cache is the truth.
      void this.changed(undefined, 0);
      return false;
    }
    return true;
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
