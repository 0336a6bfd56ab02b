// The window's live state: the shell (folders, connectivity, pending), the folder on screen
// with its paged list, the selection and the open message. Loaded from `app_state` at start
// and kept current by engine events.
import {
  asIpcError,
  ipc as realIpc,
  onEngineEvent,
  whenCacheDamaged,
  type ActionInput,
  type AppEvent,
  type AppStateDto,
  type ComposeKind,
  type ConversationDto,
  type DraftDto,
  type IpcError,
  type MessageDto,
  type MessageRowDto,
  type SearchHitDto,
  type SettingsDto,
} from '../ipc';
import { PAGE_SIZE, PageCache } from './pages';
import { afterPaint } from './paint';
import { applyEvent, shellFrom, type Shell } from './shell';

export class AppModel {
  ipc = realIpc;
  loaded = $state(false);
  app = $state<AppStateDto | null>(null);
  shell = $state<Shell | null>(null);
  settings = $state<SettingsDto>({ notifications: true, close_to_tray: true, last_folder: null });
  folder = $state('INBOX');
  /** Bumped when rows change, so the list re-reads the page cache. */
  version = $state(0);
  pages = new PageCache('INBOX');
  total = $state(0);
  selected = $state<number | null>(null);
  message = $state<MessageDto | null>(null);
  /** The message being written (the compose form is open while set), and its saved draft. */
  composing = $state<DraftDto | null>(null);
  draftId = $state<number | null>(null);
  composeError = $state<IpcError | null>(null);
  sending = $state(false);
  messageError = $state<IpcError | null>(null);
  opening = $state(false);
  error = $state<IpcError | null>(null);
  /** The cache file itself is damaged (or from a newer Tern): the window offers a rebuild. */
  damaged = $state<IpcError | null>(null);
  rebuilding = $state(false);
  /** What a rebuild kept, in words (shown once it is done). */
  rebuilt = $state<string | null>(null);
  refreshing = $state(false);
  searchQuery = $state('');
  searchHits = $state<SearchHitDto[] | null>(null);
  /** The list grouped into conversations (collapsible), instead of one row per message. */
  threadMode = $state(false);
  threads = $state<ConversationDto[] | null>(null);
  private threadsTimer: ReturnType<typeof setTimeout> | undefined;
  private firstRowsReported = false;
  /** Rows on screen, for refetching after events. */
  private shown = { start: 0, end: 0 };
  private loading = new Set<string>();

  async start(): Promise<void> {
    whenCacheDamaged((error) => {
      this.damaged = error;
    });
    // Listen first, then load: an event between the two only causes a redundant refetch.
    await onEngineEvent((event) => this.onEvent(event));
    await this.load();
  }

  /** Rebuilds the cache from the server, keeping queued changes, the outbox and drafts. */
  async rebuildCache(): Promise<void> {
    this.rebuilding = true;
    try {
      this.rebuilt = await this.ipc.rebuildCache();
      this.damaged = null;
      await this.load();
    } catch (error) {
      const failure = asIpcError(error);
      this.damaged = { code: failure.code, message: failure.message };
    } finally {
      this.rebuilding = false;
    }
  }

  async load(): Promise<void> {
    try {
      const app = await this.ipc.appState();
      this.app = app;
      if (app.startup_error?.code === 'cache_damaged') this.damaged = app.startup_error;
      this.settings = app.settings;
      this.shell = app.snapshot ? shellFrom(app.snapshot) : null;
      if (this.shell) this.shell.outbox = { ...app.outbox };
      if (this.shell && this.shell.folders.length > 0) {
        const names = this.shell.folders.map((folder) => folder.name);
        const wanted = app.settings.last_folder ?? this.folder;
        const folder = names.includes(wanted) ? wanted : names.includes('INBOX') ? 'INBOX' : (names[0] ?? 'INBOX');
        if (folder !== this.pages.folder || this.total === 0) {
          this.setFolder(folder);
        } else {
          this.pages.invalidate();
          await this.fill(this.shown.start, this.shown.end);
        }
      }
    } catch (error) {
      this.error = asIpcError(error);
    } finally {
      this.loaded = true;
    }
  }

  onEvent(event: AppEvent): void {
    if (event.event === 'cache_damaged') {
      this.damaged = { code: 'cache_damaged', message: event.message };
      return;
    }
    if (!this.shell) {
      if (event.event === 'reload') void this.load();
      return;
    }
    const effects = applyEvent(this.shell, event);
    if (effects.reload) {
      void this.load();
      return;
    }
    if (effects.listChanged === this.folder && this.threadMode) this.reloadThreadsSoon();
    if (effects.listChanged === this.folder) {
      const folder = this.shell.folders.find((f) => f.name === this.folder);
      this.pages.invalidate(folder ? folder.total : undefined);
      const added = event.event === 'folder_changed' ? event.added : 0;
      void this.fill(this.shown.start, this.shown.end).then(async () => {
        if (added > 0) {
          await afterPaint();
          void this.ipc.painted('new_rows', added).catch(() => {});
        }
      });
    }
  }

  setFolder(folder: string): void {
    this.folder = folder;
    this.pages = new PageCache(folder);
    this.total = this.shell?.folders.find((f) => f.name === folder)?.total ?? 0;
    this.selected = null;
    this.message = null;
    this.searchHits = null;
    this.threads = null;
    this.version++;
    void this.fill(0, PAGE_SIZE);
    if (this.threadMode) void this.loadThreads();
    void this.ipc.showFolder(folder).catch(() => {});
  }

  /** Makes sure rows [start, end) are loaded (called by the list as it scrolls). */
  async fill(start: number, end: number): Promise<void> {
    this.shown = { start, end };
    const pages = this.pages;
    const wanted = pages.wanted(start, Math.max(end, start + 1));
    await Promise.all(
      wanted.map(async (page) => {
        // One fetch per page and generation: an event during a fetch starts another.
        const generation = pages.generation;
        const key = `${pages.folder}:${page}:${generation}`;
        if (this.loading.has(key)) return;
        this.loading.add(key);
        try {
          const result = await this.ipc.messages(pages.folder, page * PAGE_SIZE, PAGE_SIZE);
          if (pages !== this.pages) return;
          pages.put(page * PAGE_SIZE, result.rows, result.total, generation);
          this.total = pages.total;
          this.version++;
        } catch (error) {
          this.error = asIpcError(error);
        } finally {
          this.loading.delete(key);
        }
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

  row(index: number): MessageRowDto | undefined {
    return this.pages.row(index);
  }

  selectedIndex(): number {
    return this.selected === null ? -1 : this.pages.indexOf(this.selected);
  }

  /** Selects and opens a message; opening marks it read (through the action path). */
  async open(uid: number, allowRemote = false, inFolder?: string): Promise<void> {
    const folder = inFolder ?? this.searchFolder(uid) ?? this.folder;
    this.selected = uid;
    this.opening = true;
    this.messageError = null;
    try {
      const message = await this.ipc.openMessage(folder, uid, allowRemote);
      if (this.selected !== uid) return;
      this.message = message;
      const row =
        (folder === this.folder ? this.pages.row(this.pages.indexOf(uid)) : undefined) ??
        this.searchHits?.find((h) => h.message.uid === uid && h.folder === folder)?.message ??
        this.threads?.flatMap((t) => t.messages).find((h) => h.message.uid === uid && h.folder === folder)?.message;
      if (row && !row.seen) await this.act({ kind: 'mark_read' }, [uid], folder);
    } catch (error) {
      if (this.selected === uid) {
        this.message = null;
        this.messageError = asIpcError(error);
      }
    } finally {
      this.opening = false;
    }
  }

  private searchFolder(uid: number): string | undefined {
    return this.searchHits?.find((hit) => hit.message.uid === uid)?.folder;
  }

  /** Changes messages now (optimistically on screen); the engine queues it for the server. */
  async act(action: ActionInput, uids: number[], folder = this.folder): Promise<void> {
    const change = optimistic(action);
    if (change && folder === this.folder) {
      for (const uid of uids) this.pages.update(uid, change);
      this.version++;
    }
    try {
      await this.ipc.act(folder, uids, action);
      if (!change) {
        // A move: the row leaves this folder; select the next one.
        if (this.selected !== null && uids.includes(this.selected)) this.message = null;
      }
    } catch (error) {
      this.error = asIpcError(error);
      this.pages.invalidate();
      void this.fill(this.shown.start, this.shown.end);
    }
  }

  async setThreadMode(on: boolean): Promise<void> {
    this.threadMode = on;
    if (on) await this.loadThreads();
    else this.threads = null;
  }

  async loadThreads(): Promise<void> {
    const folder = this.folder;
    try {
      const threads = await this.ipc.threads(folder, 5000);
      if (this.folder === folder && this.threadMode) this.threads = threads;
    } catch (error) {
      this.error = asIpcError(error);
    }
  }

  /** Threads are computed from the whole cache: batch bursts of events into one reload. */
  private reloadThreadsSoon(): void {
    clearTimeout(this.threadsTimer);
    this.threadsTimer = setTimeout(() => void this.loadThreads(), 300);
  }

  /** Opens the compose form: a new message, or a reply / reply-all / forward of the open one. */
  async startCompose(kind: ComposeKind): Promise<void> {
    this.composeError = null;
    const source = kind === 'new' ? null : this.message;
    if (kind !== 'new' && !source) return;
    try {
      this.draftId = null;
      this.composing = await this.ipc.compose(kind, source?.folder ?? null, source?.uid ?? null);
    } catch (error) {
      this.error = asIpcError(error);
    }
  }

  /** Continues the open message of a Drafts folder. */
  async editDraft(): Promise<void> {
    if (!this.message) return;
    try {
      const opened = await this.ipc.openDraft(this.message.folder, this.message.uid);
      this.draftId = opened.id;
      this.composing = opened.draft;
    } catch (error) {
      this.error = asIpcError(error);
    }
  }

  /** Takes an unsent message out of the outbox into the compose form (as a draft). */
  async editOutgoing(id: number): Promise<void> {
    try {
      const opened = await this.ipc.editOutgoing(id);
      this.draftId = opened.id;
      this.composing = opened.draft;
    } catch (error) {
      this.error = asIpcError(error);
    }
  }

  /** Saves what is being written (autosave); the backend copies it to Drafts. */
  async saveDraft(draft: DraftDto): Promise<void> {
    try {
      this.draftId = await this.ipc.saveDraft(this.draftId, draft);
    } catch (error) {
      this.composeError = asIpcError(error);
    }
  }

  /** Closes the form and drops its draft. */
  async discardDraft(): Promise<void> {
    const id = this.draftId;
    this.composing = null;
    this.draftId = null;
    if (id !== null) await this.ipc.discardDraft(id).catch(() => {});
  }

  /** Hands the message to the outbox (sent at once when online); closes the form. */
  async send(draft: DraftDto): Promise<boolean> {
    this.sending = true;
    this.composeError = null;
    try {
      await this.ipc.sendMessage(draft, this.draftId);
      this.composing = null;
      this.draftId = null;
      return true;
    } catch (error) {
      this.composeError = asIpcError(error);
      return false;
    } finally {
      this.sending = false;
    }
  }

  async refresh(): Promise<void> {
    this.refreshing = true;
    try {
      await this.ipc.refresh(this.folder);
    } catch (error) {
      this.error = asIpcError(error);
    } finally {
      this.refreshing = false;
    }
  }

  async search(query: string): Promise<void> {
    this.searchQuery = query;
    if (!query.trim()) {
      this.searchHits = null;
      return;
    }
    try {
      const hits = await this.ipc.search(query, 200);
      if (this.searchQuery === query) this.searchHits = hits;
    } catch (error) {
      this.error = asIpcError(error);
    }
  }

  async saveSettings(settings: SettingsDto): Promise<void> {
    this.settings = settings;
    try {
      await this.ipc.setSettings(settings);
    } catch (error) {
      this.error = asIpcError(error);
    }
  }
}

function optimistic(action: ActionInput): ((row: MessageRowDto) => MessageRowDto) | null {
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
