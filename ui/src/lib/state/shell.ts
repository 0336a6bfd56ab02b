// Each account's state as the window draws it (folders, counts, connectivity, pending
// changes, first-sync progress, outbox) and how each engine event changes it. Loaded once by
// `app_state`, then kept current by events; an event only touches the account it names.
import type { AccountStateDto, AppEvent, Connectivity, FolderDto } from '../ipc';

export interface Progress {
  synced: number;
  total: number;
}

export interface Shell {
  account: string;
  /** The From name, when set. */
  name: string | null;
  oauth2: boolean;
  /** It has a sending server. */
  canSend: boolean;
  folders: FolderDto[];
  connectivity: Connectivity;
  reason: string | null;
  pending: number;
  /** First syncs in progress, by folder. */
  progress: Record<string, Progress>;
  /** Bodies being kept for offline reading (the folder being downloaded), if any. */
  offline: (Progress & { folder: string; etaMs: number | null }) | null;
  /** The search index being built (the whole cache), if it is behind. */
  indexing: (Progress & { etaMs: number | null }) | null;
  /** Things to tell the person once (a change the server refused, …). */
  notices: string[];
  /** Messages waiting in the outbox, and those that failed or may have been sent. */
  outbox: { waiting: number; attention: number };
}

/** What the window must do besides redrawing after an event. */
export interface Effects {
  /** Reload everything from `app_state` (account added, folders listed, events missed). */
  reload: boolean;
  /** This folder's list changed: refetch the rows on screen (when they show it). */
  listChanged: { account: string; folder: string } | null;
}

export function shellFrom(state: AccountStateDto): Shell {
  const snapshot = state.snapshot;
  return {
    account: state.account.email,
    name: state.account.name,
    oauth2: state.account.oauth2,
    canSend: state.can_send,
    folders: snapshot.folders,
    connectivity: snapshot.connectivity,
    reason: snapshot.connectivity_reason,
    pending: snapshot.pending,
    progress: {},
    offline: null,
    indexing: null,
    notices: [],
    outbox: { ...state.outbox },
  };
}

export function applyEvent(shell: Shell, event: AppEvent): Effects {
  const effects: Effects = { reload: false, listChanged: null };
  switch (event.event) {
    case 'folder_changed': {
      const folder = shell.folders.find((f) => f.name === event.folder);
      if (folder) {
        folder.total = event.total;
        folder.unread = event.unread;
      } else {
        effects.reload = true;
      }
      effects.listChanged = { account: shell.account, folder: event.folder };
      const progress = shell.progress[event.folder];
      if (progress && progress.synced >= progress.total) delete shell.progress[event.folder];
      break;
    }
    case 'sync_progress':
      if (event.phase === 'bodies') {
        shell.offline =
          event.synced >= event.total
            ? null
            : { folder: event.folder, synced: event.synced, total: event.total, etaMs: event.eta_ms };
        break;
      }
      if (event.phase === 'indexing') {
        shell.indexing =
          event.synced >= event.total ? null : { synced: event.synced, total: event.total, etaMs: event.eta_ms };
        break;
      }
      if (event.synced >= event.total) {
        delete shell.progress[event.folder];
      } else {
        shell.progress[event.folder] = { synced: event.synced, total: event.total };
      }
      effects.listChanged = { account: shell.account, folder: event.folder };
      break;
    case 'pending_changed':
      shell.pending = event.pending;
      break;
    case 'connectivity':
      shell.connectivity = event.state;
      shell.reason = event.reason;
      break;
    case 'action_dropped':
      shell.notices.push(
        `The server did not take “${event.action.replace('_', ' ')}” in ${event.folder}: ${event.reason}`,
      );
      effects.listChanged = { account: shell.account, folder: event.folder };
      break;
    case 'new_mail':
      break;
    case 'outbox_changed':
      shell.outbox = { waiting: event.waiting, attention: event.attention };
      break;
    case 'reload':
      effects.reload = true;
      break;
    case 'cache_damaged':
      // The app model offers the rebuild; the shell has nothing to change.
      break;
  }
  return effects;
}

export function inboxUnread(shell: Shell): number {
  return shell.folders.find((folder) => folder.role === 'inbox')?.unread ?? 0;
}

const SEVERITY: Connectivity[] = ['sign_in_needed', 'offline', 'connecting', 'live'];

/** The worst state of several accounts (what the top bar and the tray say); live when none. */
export function worst(states: Connectivity[]): Connectivity {
  let found: Connectivity = 'live';
  for (const state of states) {
    if (SEVERITY.indexOf(state) < SEVERITY.indexOf(found)) found = state;
  }
  return found;
}

/** What the window's Live indicator says. */
export function liveLabel(connectivity: Connectivity): string {
  switch (connectivity) {
    case 'live':
      return 'Live';
    case 'connecting':
      return 'Connecting…';
    case 'offline':
      return 'Offline';
    case 'sign_in_needed':
      return 'Sign-in needed';
  }
}
