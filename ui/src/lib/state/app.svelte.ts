// The window's model: the stores of each feature — the shell, the folder on screen, the
// reader, the composer, search, conversations — wired to the backend's events, and what
// the window and its list pane show, as unions. Components call the stores' methods.
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
import { Conversations } from './conversations.svelte';
import { FolderView } from './folder_view.svelte';
import { Reader } from './reader.svelte';
import { Search } from './search.svelte';
import type { Shell } from './shell';
import { ShellStore } from './shell_store.svelte';

/** What the window shows. */
export type Screen =
  | { kind: 'loading' }
  | { kind: 'damaged'; error: IpcError }
  | { kind: 'mailbox'; shell: Shell }
  | { kind: 'setup' };

/** What the list pane shows. */
export type ListPane =
  | { kind: 'search'; query: string; hits: SearchHitDto[] }
  | { kind: 'conversations'; threads: ConversationDto[] | null }
  | { kind: 'folder'; folder: string };

export class AppModel {
  readonly shell: ShellStore;
  readonly folder: FolderView;
  readonly reader: Reader;
  readonly composer: Composer;
  readonly search: Search;
  readonly conversations: Conversations;
  /** The first load is done (and its folder shown): the window may draw. */
  loaded = $state(false);

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
    if (shell.app?.account && shell.shell) return { kind: 'mailbox', shell: shell.shell };
    return { kind: 'setup' };
  }

  get list(): ListPane {
    const hits = this.search.hits;
    if (hits !== null) return { kind: 'search', query: this.search.query, hits };
    if (this.conversations.on) return { kind: 'conversations', threads: this.conversations.threads };
    return { kind: 'folder', folder: this.folder.folder };
  }

  async start(): Promise<void> {
    whenCacheDamaged((error) => this.shell.cacheDamaged(error));
    // Listen first, then load: an event between the two only causes a redundant refetch.
    await onEngineEvent((event) => this.onEvent(event));
    await this.load();
  }

  /** Loads the shell and shows the last folder (or INBOX), or refreshes the one shown. */
  async load(): Promise<void> {
    const app = await this.shell.load();
    const shell = this.shell.shell;
    if (app && shell && shell.folders.length > 0) {
      const names = shell.folders.map((folder) => folder.name);
      const wanted = app.settings.last_folder ?? this.folder.folder;
      const folder = names.includes(wanted) ? wanted : names.includes('INBOX') ? 'INBOX' : (names[0] ?? 'INBOX');
      if (!this.loaded || folder !== this.folder.folder || this.folder.total === 0) {
        this.setFolder(folder);
      } else {
        void this.folder.changed(undefined, 0);
      }
    }
    // The list draws only now, with its folder chosen (its first paint is timed).
    this.loaded = true;
  }

  onEvent(event: AppEvent): void {
    const effects = this.shell.apply(event);
    if (effects.reload) {
      void this.load();
      return;
    }
    const shown = this.folder.folder;
    if (effects.listChanged !== shown) return;
    this.conversations.changed(shown);
    const total = this.shell.shell?.folders.find((f) => f.name === shown)?.total;
    void this.folder.changed(total, event.event === 'folder_changed' ? event.added : 0);
  }

  /** Shows `folder` from the top: nothing selected, no search. */
  setFolder(folder: string): void {
    const total = this.shell.shell?.folders.find((f) => f.name === folder)?.total ?? 0;
    this.folder.show(folder, total);
    this.reader.clear();
    this.search.clear();
    void this.conversations.load(folder);
  }

  /** The row of message `uid` wherever it shows (the list, search hits, conversations). */
  private rowOf(uid: number, folder: string): MessageRowDto | undefined {
    return (
      (folder === this.folder.folder ? this.folder.row(this.folder.indexOf(uid)) : undefined) ??
      this.search.hits?.find((hit) => hit.message.uid === uid && hit.folder === folder)?.message ??
      this.conversations.threads
        ?.flatMap((thread) => thread.messages)
        .find((hit) => hit.message.uid === uid && hit.folder === folder)?.message
    );
  }

  /** Selects and opens a message; opening marks it read (through the action path). */
  async open(uid: number, allowRemote = false, inFolder?: string): Promise<void> {
    const folder = inFolder ?? this.search.folderOf(uid) ?? this.folder.folder;
    const opened = await this.reader.open(folder, uid, allowRemote);
    const row = opened ? this.rowOf(uid, folder) : undefined;
    if (row && !row.seen) await this.act({ kind: 'mark_read' }, [uid], folder);
  }

  /** Changes messages now (optimistically on screen); the engine queues it for the server. */
  async act(action: ActionInput, uids: number[], folder = this.folder.folder): Promise<void> {
    const taken = await this.folder.act(action, uids, folder);
    // A move: the row leaves this folder, and the reader closes it.
    if (taken && !['mark_read', 'mark_unread', 'flag', 'unflag'].includes(action.kind)) this.reader.left(uids);
  }

  /** The row of the selected message, for keyboard commands. */
  selectedRow(): MessageRowDto | undefined {
    const uid = this.reader.selected;
    if (uid === null) return undefined;
    return this.search.hits?.find((hit) => hit.message.uid === uid)?.message ?? this.folder.row(this.folder.indexOf(uid));
  }

  /** Opens the compose form for a new message, or a reply / forward of the open one. */
  compose(kind: ComposeKind): Promise<void> {
    return this.composer.start(kind, kind === 'new' ? null : this.reader.message);
  }

  /** Continues the open message of a Drafts folder. */
  async editDraft(): Promise<void> {
    if (this.reader.message) await this.composer.editDraft(this.reader.message);
  }

  refresh(): Promise<void> {
    return this.shell.refresh(this.folder.folder);
  }

  /** Rebuilds a damaged cache, then loads it. */
  async rebuildCache(): Promise<void> {
    if (await this.shell.rebuildCache()) await this.load();
  }
}
