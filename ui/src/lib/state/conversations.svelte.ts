// The list grouped into conversations (collapsible) instead of one row per message: whether
// it is on, and the conversations of the folder on screen, reloaded after bursts of events.
import type { ConversationDto, Ipc } from '../ipc';
import { guard, type OnError } from './guard';
import { samePlace, type Place } from './place';

/** Events within this long of each other cause one reload (threads span the whole cache). */
export const RELOAD_AFTER_MS = 300;

export class Conversations {
  on = $state(false);
  /** Null while loading. */
  threads = $state<ConversationDto[] | null>(null);
  private place: Place | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly ipc: Ipc,
    private readonly onError: OnError,
  ) {}

  async set(on: boolean, place: Place): Promise<void> {
    this.on = on;
    if (on) await this.load(place);
    else this.threads = null;
  }

  /** Loads the conversations of `place` (when on; the unified inbox has none: its list shows). */
  async load(place: Place): Promise<void> {
    // Another folder: nothing to show until it loads; the same one: keep showing it.
    if (!this.place || !samePlace(place, this.place)) this.threads = null;
    this.place = place;
    const account = place.account;
    if (!this.on || account === null) return;
    const threads = await guard(() => this.ipc.threads(account, place.folder, 5000), this.onError);
    if (threads && this.on && this.place && samePlace(this.place, place)) this.threads = threads;
  }

  /** `place` changed: reload once the burst of events is over. */
  changed(place: Place): void {
    if (!this.on || !this.place || !samePlace(place, this.place)) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.load(place), RELOAD_AFTER_MS);
  }
}
