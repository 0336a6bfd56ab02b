import { describe, expect, it } from 'vitest';
import { applyEvent, inboxUnread, liveLabel, shellFrom, worst } from '../../src/lib/state/shell';
import { accountState } from './fake_ipc';

function shell() {
  return shellFrom(
    accountState('alice@tern.test', 10, {
      snapshot: {
        account: 'alice@tern.test',
        folders: [
          { name: 'INBOX', role: 'inbox', total: 10, unread: 2 },
          { name: 'Archive', role: 'archive', total: 5, unread: 0 },
        ],
        connectivity: 'connecting',
        connectivity_reason: null,
        pending: 0,
      },
    }),
  );
}

describe('applyEvent', () => {
  it('updates only the folder an event names and asks for its list', () => {
    const state = shell();
    const effects = applyEvent(state, {
      event: 'folder_changed', account: 'alice@tern.test', folder: 'INBOX', added: 1, removed: 0, flags_changed: 0, resync: false, total: 11, unread: 3,
    });
    expect(effects).toEqual({ reload: false, listChanged: { account: 'alice@tern.test', folder: 'INBOX' } });
    expect(state.folders[0]).toMatchObject({ total: 11, unread: 3 });
    expect(state.folders[1]).toMatchObject({ total: 5, unread: 0 });
    expect(inboxUnread(state)).toBe(3);
  });

  it('reloads for a folder it does not know, and on reload', () => {
    expect(applyEvent(shell(), {
      event: 'folder_changed', account: 'alice@tern.test', folder: 'New', added: 1, removed: 0, flags_changed: 0, resync: false, total: 1, unread: 1,
    }).reload).toBe(true);
    expect(applyEvent(shell(), { event: 'reload' }).reload).toBe(true);
  });

  it('tracks connectivity, pending changes and first-sync progress', () => {
    const state = shell();
    applyEvent(state, { event: 'connectivity', account: 'alice@tern.test', state: 'offline', reason: 'connection refused' });
    expect(state.connectivity).toBe('offline');
    expect(state.reason).toBe('connection refused');
    expect(liveLabel(state.connectivity)).toBe('Offline');
    applyEvent(state, { event: 'pending_changed', account: 'alice@tern.test', pending: 4 });
    expect(state.pending).toBe(4);
    applyEvent(state, { event: 'sync_progress', account: 'alice@tern.test', folder: 'Archive', synced: 500, total: 2000, phase: 'headers', eta_ms: null });
    expect(state.progress['Archive']).toEqual({ synced: 500, total: 2000 });
    applyEvent(state, { event: 'sync_progress', account: 'alice@tern.test', folder: 'Archive', synced: 2000, total: 2000, phase: 'headers', eta_ms: 0 });
    expect(state.progress['Archive']).toBeUndefined();
  });

  it('tracks bodies kept offline and the search index apart from first syncs', () => {
    const state = shell();
    const progress = (phase: string, folder: string, synced: number, total: number, eta_ms: number | null = null) =>
      applyEvent(state, { event: 'sync_progress', account: 'alice@tern.test', folder, synced, total, phase, eta_ms });
    progress('bodies', 'Work', 100, 400, 3_000);
    expect(state.offline).toEqual({ folder: 'Work', synced: 100, total: 400, etaMs: 3_000 });
    expect(state.progress['Work']).toBeUndefined();
    progress('indexing', '', 10_000, 100_000);
    expect(state.indexing).toEqual({ synced: 10_000, total: 100_000, etaMs: null });
    progress('bodies', 'Work', 400, 400, 0);
    expect(state.offline).toBeNull();
    progress('indexing', '', 100_000, 100_000, 0);
    expect(state.indexing).toBeNull();
    expect(Object.keys(state.progress)).toEqual([]);
  });

  it('tells the person when the server refused a change', () => {
    const state = shell();
    applyEvent(state, { event: 'action_dropped', account: 'alice@tern.test', folder: 'INBOX', uid: 3, action: 'mark_read', reason: 'message gone' });
    expect(state.notices).toHaveLength(1);
    expect(state.notices[0]).toContain('message gone');
  });

  it('says the worst of several states (what the top bar and the tray show)', () => {
    expect(worst([])).toBe('live');
    expect(worst(['live', 'connecting'])).toBe('connecting');
    expect(worst(['connecting', 'offline', 'live'])).toBe('offline');
    expect(worst(['offline', 'sign_in_needed'])).toBe('sign_in_needed');
  });
});
