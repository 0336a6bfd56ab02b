// The reading pane: which message is selected, the message opened in it (or why it could
// not be), and whether it is being opened.
import type { IpcError, Ipc, MessageDto } from '../ipc';
import { guard } from './guard';
import { sameRow, type RowRef } from './place';

export class Reader {
  selected = $state<RowRef | null>(null);
  message = $state<MessageDto | null>(null);
  /** Why the selected message could not be opened. */
  error = $state<IpcError | null>(null);
  opening = $state(false);

  constructor(private readonly ipc: Ipc) {}

  /** Whether `ref` is the selected message. */
  isSelected(ref: RowRef): boolean {
    return sameRow(this.selected, ref);
  }

  /** Selects and opens message `ref`; returns it, or null when it was not opened. */
  async open(ref: RowRef, allowRemote: boolean): Promise<MessageDto | null> {
    this.selected = ref;
    this.opening = true;
    this.error = null;
    const message = await guard(
      () => this.ipc.openMessage(ref.account, ref.folder, ref.uid, allowRemote),
      (error) => {
        if (this.isSelected(ref)) {
          this.message = null;
          this.error = error;
        }
      },
    );
    // Another message was selected meanwhile: that one is shown.
    if (this.isSelected(ref)) this.opening = false;
    if (!message || !this.isSelected(ref)) return null;
    this.message = message;
    return message;
  }

  /** Nothing selected (another folder is shown). */
  clear(): void {
    this.selected = null;
    this.message = null;
    this.error = null;
  }

  /** Messages `refs` left their folder (moved, archived, deleted): the open one closes. */
  left(refs: RowRef[]): void {
    if (refs.some((ref) => this.isSelected(ref))) this.message = null;
  }
}
