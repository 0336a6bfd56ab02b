// The reading pane: which message is selected, the message opened in it (or why it could
// not be), and whether it is being opened.
import type { IpcError, Ipc, MessageDto } from '../ipc';
import { guard } from './guard';

export class Reader {
  selected = $state<number | null>(null);
  message = $state<MessageDto | null>(null);
  /** Why the selected message could not be opened. */
  error = $state<IpcError | null>(null);
  opening = $state(false);

  constructor(private readonly ipc: Ipc) {}

  /** Selects and opens message `uid` of `folder`; returns it, or null when it was not opened. */
  async open(folder: string, uid: number, allowRemote: boolean): Promise<MessageDto | null> {
    this.selected = uid;
    this.opening = true;
    this.error = null;
    const message = await guard(
      () => this.ipc.openMessage(folder, uid, allowRemote),
      (error) => {
        if (this.selected === uid) {
          this.message = null;
          this.error = error;
        }
      },
    );
    // Another message was selected meanwhile: that one is shown.
    if (this.selected === uid) this.opening = false;
    if (!message || this.selected !== uid) return null;
    this.message = message;
    return message;
  }

  /** Nothing selected (another folder is shown). */
  clear(): void {
    this.selected = null;
    this.message = null;
    this.error = null;
  }

  /** Messages `uids` left the folder (moved, archived, deleted): the open one closes. */
  left(uids: number[]): void {
    if (this.selected !== null && uids.includes(this.selected)) this.message = null;
  }
}
