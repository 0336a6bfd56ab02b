// Searching the cached mail of every account: the query typed, and its hits (null while
// not searching); each hit names its account and folder. While the search index is still
// being built (after a first sync), it says how far it is, and searches again once done.
import type { IndexProgressDto, Ipc, SearchHitDto } from '../ipc';
import { guard, type OnError } from './guard';

export class Search {
  query = $state('');
  hits = $state<SearchHitDto[] | null>(null);
  /** The index is not complete: the hits come from what is indexed so far. */
  indexing = $state<IndexProgressDto | null>(null);

  constructor(
    private readonly ipc: Ipc,
    private readonly onError: OnError,
  ) {}

  /** Searches for `query` (an empty one ends searching). A slower earlier answer is dropped. */
  async search(query: string): Promise<void> {
    this.query = query;
    if (!query.trim()) {
      this.hits = null;
      return;
    }
    const hits = await guard(() => this.ipc.search(query, 200), this.onError);
    if (hits && this.query === query) {
      this.hits = hits;
      const progress = await guard(() => this.ipc.indexProgress(), () => {});
      if (progress && this.query === query) this.indexing = progress.indexed < progress.messages ? progress : null;
    }
  }

  /** The background indexer moved on (`sync_progress`, phase `indexing`); once it is
   * done, a search on screen runs again to include what was not indexed before. */
  indexed(progress: IndexProgressDto): void {
    const was = this.indexing;
    this.indexing = progress.indexed < progress.messages ? progress : null;
    if (was && !this.indexing && this.hits) void this.search(this.query);
  }

  clear(): void {
    this.hits = null;
    this.indexing = null;
  }
}
