// The compose form: the message being written (the form is open while there is one), its
// saved draft, sending it, and the form's own error line.
import type { ComposeKind, DraftDto, IpcError, Ipc, MessageDto } from '../ipc';
import { guard, type OnError } from './guard';

export class Composer {
  /** The message being written; the form is open while set. */
  draft = $state<DraftDto | null>(null);
  /** Its saved draft, once autosaved. */
  draftId = $state<number | null>(null);
  /** Why saving or sending failed (shown in the form). */
  error = $state<IpcError | null>(null);
  sending = $state(false);
  /** The account the saved draft (`draftId`) belongs to. */
  private savedUnder: string | null = null;
  /** A `mailto:` link came while the form was open: it opens (from this account) when the
   *  form closes, so no words being written are lost. */
  private linkWaiting: string | null = null;

  constructor(
    private readonly ipc: Ipc,
    private readonly onError: OnError,
  ) {}

  private readonly formError = (error: IpcError): void => {
    this.error = error;
  };

  /** Opens the form: a new message from `account`, or a reply / reply-all / forward of
   *  `source` (from the account it came to). */
  async start(kind: ComposeKind, source: MessageDto | null, account: string): Promise<void> {
    this.error = null;
    if (kind !== 'new' && !source) return;
    const from = source?.account ?? account;
    const draft = await guard(
      () => this.ipc.compose(from, kind, source?.folder ?? null, source?.uid ?? null),
      this.onError,
    );
    if (draft) this.opened(null, draft);
  }

  /** Opens the form filled from the `mailto:` link Tern was started for, if one waits;
   *  with a form open, once it closes. */
  async fromLink(account: string): Promise<void> {
    if (this.draft) {
      this.linkWaiting = account;
      return;
    }
    const draft = await guard(() => this.ipc.takeMailto(account), this.onError);
    if (draft) this.opened(null, draft);
  }

  /** The form closed: a link that waited opens now. */
  private closed(): void {
    const account = this.linkWaiting;
    this.linkWaiting = null;
    if (account) void this.fromLink(account);
  }

  /** Continues `message`, which is in a Drafts folder. */
  async editDraft(message: MessageDto): Promise<void> {
    const opened = await guard(() => this.ipc.openDraft(message.account, message.folder, message.uid), this.onError);
    if (opened) this.opened(opened.id, opened.draft);
  }

  /** Takes an unsent message out of the outbox into the form (as a draft). */
  async editOutgoing(account: string, id: number): Promise<void> {
    const opened = await guard(() => this.ipc.editOutgoing(account, id), this.onError);
    if (opened) this.opened(opened.id, opened.draft);
  }

  /** The form now writes from another account: the draft saved under the old one goes
   *  (the next save keeps it under the new one). */
  async changeAccount(): Promise<void> {
    const id = this.draftId;
    const account = this.savedUnder;
    this.draftId = null;
    this.savedUnder = null;
    if (id !== null && account) await this.ipc.discardDraft(account, id).catch(() => {});
  }

  private opened(id: number | null, draft: DraftDto): void {
    this.draftId = id;
    this.savedUnder = id === null ? null : draft.account;
    this.draft = draft;
  }

  /** Saves what is being written (autosave); the backend copies it to Drafts. */
  async save(draft: DraftDto): Promise<void> {
    const id = await guard(() => this.ipc.saveDraft(this.draftId, draft), this.formError);
    if (id !== undefined) {
      this.draftId = id;
      this.savedUnder = draft.account;
    }
  }

  /** Closes the form; the draft stays saved. */
  close(): void {
    this.draft = null;
    this.closed();
  }

  /** Closes the form and drops its draft. */
  async discard(): Promise<void> {
    const id = this.draftId;
    const account = this.savedUnder;
    this.draft = null;
    this.draftId = null;
    this.savedUnder = null;
    this.closed();
    if (id !== null && account) await this.ipc.discardDraft(account, id).catch(() => {});
  }

  /** Hands the message to the outbox (sent at once when online); closes the form. */
  async send(draft: DraftDto): Promise<boolean> {
    this.sending = true;
    this.error = null;
    const queued = await guard(() => this.ipc.sendMessage(draft, this.draftId), this.formError);
    this.sending = false;
    if (queued === undefined) return false;
    this.draft = null;
    this.draftId = null;
    this.closed();
    return true;
  }
}
