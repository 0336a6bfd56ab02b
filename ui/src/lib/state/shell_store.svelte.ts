// The window's shell: what `app_state` says at start (every account with its folders and
// counts, connectivity, pending changes and outbox; the settings), kept current by engine
// events; the one error banner; a damaged cache and its rebuild; checking for mail now.
import type { AppEvent, AppStateDto, Connectivity, IpcError, Ipc, SettingsDto } from '../ipc';
import { guard } from './guard';
import { applyEvent, inboxUnread, shellFrom, worst, type Effects, type Shell } from './shell';

const DEFAULT_SETTINGS: SettingsDto = {
  notifications: true,
  close_to_tray: true,
  last_folder: null,
  last_account: null,
  last_unified: false,
  start_at_login: false,
  folder_pane: 0,
  list_pane: 0,
};

export class ShellStore {
  app = $state<AppStateDto | null>(null);
  /** Every account, in the profile's order. */
  shells = $state<Shell[]>([]);
  settings = $state<SettingsDto>(DEFAULT_SETTINGS);
  /** The error the banner shows (one at a time: the latest). */
  error = $state<IpcError | null>(null);
  /** The cache file itself is damaged (or from a newer Tern): the window offers a rebuild. */
  damaged = $state<IpcError | null>(null);
  rebuilding = $state(false);
  /** What a rebuild kept, in words (shown once it is done). */
  rebuilt = $state<string | null>(null);
  refreshing = $state(false);

  constructor(private readonly ipc: Ipc) {}

  /** Shows `error` in the banner (every store reports here). */
  report = (error: IpcError): void => {
    this.error = error;
  };

  dismissError(): void {
    this.error = null;
  }

  dismissRebuilt(): void {
    this.rebuilt = null;
  }

  dismissNotice(account: string, index: number): void {
    this.shellOf(account)?.notices.splice(index, 1);
  }

  shellOf(account: string | null): Shell | undefined {
    return account === null ? undefined : this.shells.find((shell) => shell.account === account);
  }

  /** The accounts' worst state (what the top bar says). */
  get connectivity(): Connectivity {
    return worst(this.shells.map((shell) => shell.connectivity));
  }

  /** Unread mail in every account's INBOX. */
  get unifiedUnread(): number {
    return this.shells.reduce((sum, shell) => sum + inboxUnread(shell), 0);
  }

  /** Messages waiting to be sent, and those needing a decision, in every account. */
  get outbox(): { waiting: number; attention: number } {
    return this.shells.reduce(
      (sum, shell) => ({ waiting: sum.waiting + shell.outbox.waiting, attention: sum.attention + shell.outbox.attention }),
      { waiting: 0, attention: 0 },
    );
  }

  /** A command met a damaged cache. */
  cacheDamaged(error: IpcError): void {
    this.damaged = { code: error.code, message: error.message };
  }

  /** Some account can send. */
  get canSend(): boolean {
    return this.shells.some((shell) => shell.canSend);
  }

  canSendFrom(account: string | null): boolean {
    return this.shellOf(account)?.canSend ?? false;
  }

  /** For each load in flight, the events that arrived since it asked (loads may overlap: a
   *  `reload` event and the caller's own load). */
  private inFlight: AppEvent[][] = [];

  /** Loads `app_state`; returns it (null when it failed: the banner says why). State events
   *  that arrive meanwhile are applied again to the new shell: the snapshot may have been
   *  taken before them (a first account going Live while its first load is answered). */
  async load(): Promise<AppStateDto | null> {
    const arrived: AppEvent[] = [];
    this.inFlight.push(arrived);
    const app = await guard(() => this.ipc.appState(), this.report);
    this.inFlight = this.inFlight.filter((buffer) => buffer !== arrived);
    if (app) {
      this.app = app;
      if (app.startup_error?.code === 'cache_damaged') this.damaged = app.startup_error;
      this.settings = app.settings;
      const shells = app.accounts.map(shellFrom);
      for (const event of arrived) {
        // Only absolute account-wide states: folder counts come with the snapshot and the
        // list, and an older count must not replace a newer one.
        if (event.event === 'connectivity' || event.event === 'pending_changed' || event.event === 'outbox_changed') {
          const shell = shells.find((s) => s.account === event.account);
          if (shell) applyEvent(shell, event);
        }
      }
      this.shells = shells;
    }
    return app ?? null;
  }

  /** Applies an engine event to the shell; says what else must happen. */
  apply(event: AppEvent): Effects {
    for (const buffer of this.inFlight) buffer.push(event);
    if (event.event === 'cache_damaged') {
      this.cacheDamaged({ code: 'cache_damaged', message: event.message });
      return { reload: false, listChanged: null };
    }
    if (event.event === 'reload') return { reload: true, listChanged: null };
    // Not about an account's state: the model acts on them.
    if (event.event === 'mailto_opened' || event.event === 'open') return { reload: false, listChanged: null };
    const shell = this.shellOf(event.account);
    // An account this window does not know yet (added meanwhile): load it.
    if (!shell) return { reload: this.app !== null, listChanged: null };
    return applyEvent(shell, event);
  }

  /** Rebuilds the cache from the server, keeping queued changes, the outbox and drafts. */
  async rebuildCache(): Promise<boolean> {
    this.rebuilding = true;
    const kept = await guard(() => this.ipc.rebuildCache(), (error) => this.cacheDamaged(error));
    this.rebuilding = false;
    if (kept === undefined) return false;
    this.rebuilt = kept;
    this.damaged = null;
    return true;
  }

  /** Checks `folder` of `account` (no account: every INBOX) for new mail now. */
  async refresh(account: string | null, folder: string): Promise<void> {
    this.refreshing = true;
    await guard(() => this.ipc.refresh(account, folder), this.report);
    this.refreshing = false;
  }

  async saveSettings(settings: SettingsDto): Promise<void> {
    this.settings = settings;
    await guard(() => this.ipc.setSettings(settings), this.report);
  }
}
