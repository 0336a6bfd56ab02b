// The window's model: the stores of each feature — the shell (every account), the folder on
// screen (or the unified inbox), the reader, the composer, search, conversations — wired to
// the backend's events, and what the window and its list pane show, as unions. Components
// call the stores' methods.
import {
  ipc as realIpc,
  onEngineEvent,
  whenCacheDamaged,
  type ActionInput,
  type AppEvent,
  type ComposeKind,
  type ConversationDto,
  type IpcError,
  type Ipc,
  type MessageRowDto,
  type SearchHitDto,
} from '../ipc';
import { Composer } from './composer.svelte';
import { guard } from './guard';
import { mark } from './marks';
import { Conversations } from './conversations.svelte';
import { FolderView } from './folder_view.svelte';
import { Reader } from './reader.svelte';
import { Search } from './search.svelte';
import { refOf, sameRow, shows, startPlace, UNIFIED, type Place, type RowRef } from './place';
import type { Shell } from './shell';
import { ShellStore } from './shell_store.svelte';

/** What the window shows. */
export type Screen =
  | { kind: 'loading' }
  | { kind: 'damaged'; error: IpcError }
  | { kind: 'mailbox'; shells: Shell[] }
  | { kind: 'setup' };

/** What the list pane shows. */
export type ListPane =
  | { kind: 'search'; query: string; hits: SearchHitDto[] }
  | { kind: 'conversations'; threads: ConversationDto[] | null }
  | { kind: 'folder'; place: Place };

export class AppModel {
  readonly shell: ShellStore;
  readonly folder: FolderView;
  readonly reader: Reader;
  readonly composer: Composer;
  readonly search: Search;
  readonly conversations: Conversations;
  /** The first load is done (and its folder shown): the window may draw. */
  loaded = $state(false);
  /** The account being signed in again (its provider's page is open in the browser). */
  signingIn = $state<string | null>(null);

  constructor(readonly ipc: Ipc = realIpc) {
    this.shell = new ShellStore(ipc);
    const report = this.shell.report;
    this.folder = new FolderView(ipc, report);
    this.reader = new Reader(ipc);
    this.composer = new Composer(ipc, report);
    this.search = new Search(ipc, report);
    this.conversations = new Conversations(ipc, report);
  }

  get screen(): Screen {
    const shell = this.shell;
    if (!this.loaded) return { kind: 'loading' };
    if (shell.damaged) return { kind: 'damaged', error: shell.damaged };
    if (shell.shells.length > 0) return { kind: 'mailbox', shells: shell.shells };
    return { kind: 'setup' };
  }

  get list(): ListPane {
    const hits = this.search.hits;
    if (hits !== null) return { kind: 'search', query: this.search.query, hits };
    if (this.conversations.on && this.folder.place.account !== null) {
      return { kind: 'conversations', threads: this.conversations.threads };
    }
    return { kind: 'folder', place: this.folder.place };
  }

  /** The account the window works in: the folder's, else (the unified inbox) the open
   *  message's, else the first. */
  get account(): string | null {
    return this.folder.place.account ?? this.reader.message?.account ?? this.shell.shells[0]?.account ?? null;
  }

  async start(): Promise<void> {
    whenCacheDamaged((error) => this.shell.cacheDamaged(error));
    // Listen first, then load: an event between the two only causes a redundant refetch.
    mark('start');
    await onEngineEvent((event) => this.onEvent(event));
    mark('listening');
    await this.load();
  }

  /** Loads the shell and shows the last place (or the unified inbox, or INBOX), or
   *  refreshes the one shown. */
  async load(): Promise<void> {
    const app = await this.shell.load();
    mark('state');
    const shells = this.shell.shells;
    if (app && shells.length > 0) {
      const accounts = shells.map((shell) => ({ email: shell.account, folders: shell.folders.map((f) => f.name) }));
      const current = this.folder.place;
      const stillThere =
        this.loaded &&
        (current.account === null
          ? shells.length > 1
          : accounts.some((a) => a.email === current.account && a.folders.includes(current.folder)));
      const place = stillThere ? current : startPlace(app.settings, accounts);
      if (place && (!stillThere || this.folder.total === 0)) {
        this.setPlace(place);
      } else {
        void this.folder.changed(this.totalOf(current), 0);
      }
    }
    // The list draws only now, with its folder chosen (its first paint is timed).
    this.loaded = true;
    mark('loaded');
    // Started for a `mailto:` link: its compose form.
    await this.takeMailto();
  }

  /** Opens the compose form for the `mailto:` link Tern was started (or started again)
   *  for, from the account a new message is written from. */
  async takeMailto(): Promise<void> {
    const from = this.composeAccount();
    if (from) await this.composer.fromLink(from);
  }

  /** The cached count of `place`'s messages. */
  totalOf(place: Place): number {
    if (place.account === null) {
      return this.shell.shells.reduce(
        (sum, shell) => sum + (shell.folders.find((f) => f.role === 'inbox')?.total ?? 0),
        0,
      );
    }
    return this.shell.shellOf(place.account)?.folders.find((f) => f.name === place.folder)?.total ?? 0;
  }

  onEvent(event: AppEvent): void {
    const effects = this.shell.apply(event);
    if (event.event === 'mailto_opened') {
      void this.takeMailto();
      return;
    }
    if (event.event === 'open') {
      void this.show(event.account, event.folder, event.uid);
      return;
    }
    if (event.event === 'sync_progress' && event.phase === 'indexing') {
      this.search.indexed({ indexed: event.synced, messages: event.total });
    }
    if (effects.reload) {
      void this.load();
      return;
    }
    const changed = effects.listChanged;
    const place = this.folder.place;
    if (!changed || !shows(place, changed.account, changed.folder)) return;
    this.conversations.changed(place);
    void this.folder.changed(this.totalOf(place), event.event === 'folder_changed' ? event.added : 0);
  }

  /** Shows `place` from the top: nothing selected, no search. */
  setPlace(place: Place): void {
    this.folder.show(place, this.totalOf(place));
    this.reader.clear();
    this.search.clear();
    void this.conversations.load(place);
  }

  /** Shows `folder` of `account`. */
  setFolder(account: string, folder: string): void {
    this.setPlace({ account, folder });
  }

  showUnified(): void {
    this.setPlace(UNIFIED);
  }

  /** The row of message `ref` wherever it shows (the list, search hits, conversations). */
  private rowOf(ref: RowRef): MessageRowDto | undefined {
    return (
      this.folder.row(this.folder.indexOf(ref)) ??
      this.search.hits?.find((hit) => sameRow(hit.message, ref))?.message ??
      this.conversations.threads?.flatMap((thread) => thread.messages).find((hit) => sameRow(hit.message, ref))
        ?.message
    );
  }

  /** Shows what a clicked notification tells of: its message, opened (and so read), or its
   *  folder; without an account, the unified inbox. */
  async show(account: string | null, folder: string, uid: number | null): Promise<void> {
    if (account === null) this.showUnified();
    else this.setFolder(account, folder);
    if (account === null || uid === null) return;
    const ref = { account, folder, uid };
    const opened = await this.reader.open(ref, false);
    // New mail is unread; its row may not be on the page yet.
    const row = opened ? this.rowOf(ref) : undefined;
    if (opened && !row?.seen) await this.act({ kind: 'mark_read' }, [ref]);
  }

  /** Selects and opens a message; opening marks it read (through the action path). */
  async open(ref: RowRef, allowRemote = false): Promise<void> {
    const opened = await this.reader.open(ref, allowRemote);
    const row = opened ? this.rowOf(ref) : undefined;
    if (row && !row.seen) await this.act({ kind: 'mark_read' }, [ref]);
  }

  /** Changes messages now (optimistically on screen); each account's engine queues it for
   *  its server. */
  async act(action: ActionInput, refs: RowRef[]): Promise<void> {
    const taken = await this.folder.act(action, refs);
    // A move: the row leaves this folder, and the reader closes it.
    if (taken && !['mark_read', 'mark_unread', 'flag', 'unflag'].includes(action.kind)) this.reader.left(refs);
  }

  /** The row of the selected message, for keyboard commands. */
  selectedRow(): MessageRowDto | undefined {
    const selected = this.reader.selected;
    return selected ? this.rowOf(selected) : undefined;
  }

  /** The selected message, for keyboard commands. */
  selectedRef(): RowRef | undefined {
    const row = this.selectedRow();
    return row ? refOf(row) : undefined;
  }

  /** Opens the compose form for a new message (from the account in view), or a reply /
   *  forward of the open one (from the account it came to). */
  compose(kind: ComposeKind): Promise<void> {
    const from = this.composeAccount();
    if (!from) return Promise.resolve();
    return this.composer.start(kind, kind === 'new' ? null : this.reader.message, from);
  }

  /** The account a new message is written from: the one in view when it can send, else the
   *  first that can. */
  composeAccount(): string | null {
    const account = this.account;
    if (this.shell.canSendFrom(account)) return account;
    return this.shell.shells.find((shell) => shell.canSend)?.account ?? null;
  }

  /** Continues the open message of a Drafts folder. */
  async editDraft(): Promise<void> {
    if (this.reader.message) await this.composer.editDraft(this.reader.message);
  }

  refresh(): Promise<void> {
    return this.shell.refresh(this.folder.place.account, this.folder.place.folder);
  }

  /** Signs an OAuth2 account in again (the browser opens); its session resumes. */
  async signIn(account: string): Promise<void> {
    this.signingIn = account;
    const done = await guard(() => this.ipc.signIn(account), this.shell.report);
    this.signingIn = null;
    if (done !== undefined) await this.load();
  }

  /** Rebuilds a damaged cache, then loads it. */
  async rebuildCache(): Promise<void> {
    if (await this.shell.rebuildCache()) await this.load();
  }
}
