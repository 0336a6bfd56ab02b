// Searching the cached mail of every account: the query typed, and its hits (null while
// not searching); each hit names its account and folder.
import type { Ipc, SearchHitDto } from '../ipc';
import { guard, type OnError } from './guard';

export class Search {
  query = $state('');
  hits = $state<SearchHitDto[] | null>(null);

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
    if (hits && this.query === query) this.hits = hits;
  }

  clear(): void {
    this.hits = null;
  }
}
