// The list grouped into conversations (collapsible) instead of one row per message: whether
// it is on, and the conversations of the folder on screen, reloaded after bursts of events.
import type { ConversationDto, Ipc } from '../ipc';
import { guard, type OnError } from './guard';

/** Events within this long of each other cause one reload (threads span the whole cache). */
export const RELOAD_AFTER_MS = 300;

export class Conversations {
  on = $state(false);
  /** Null while loading. */
  threads = $state<ConversationDto[] | null>(null);
  private folder = '';
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly ipc: Ipc,
    private readonly onError: OnError,
  ) {}

  async set(on: boolean, folder: string): Promise<void> {
    this.on = on;
    if (on) await this.load(folder);
    else this.threads = null;
  }

  /** Loads the conversations of `folder` (when on). */
  async load(folder: string): Promise<void> {
    // Another folder: nothing to show until it loads; the same one: keep showing it.
    if (folder !== this.folder) this.threads = null;
    this.folder = folder;
    if (!this.on) return;
    const threads = await guard(() => this.ipc.threads(folder, 5000), this.onError);
    if (threads && this.on && this.folder === folder) this.threads = threads;
  }

  /** `folder` changed: reload once the burst of events is over. */
  changed(folder: string): void {
    if (!this.on || folder !== this.folder) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.load(folder), RELOAD_AFTER_MS);
  }
}
