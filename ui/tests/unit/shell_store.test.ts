import { describe, expect, it } from 'vitest';
import { ShellStore } from '../../src/lib/state/shell_store.svelte';
import { accountState, ALICE, appState, BOB, failure, fakeIpc } from './fake_ipc';

describe('ShellStore', () => {
  it('loads the account, its folders, settings and outbox counts', async () => {
    const fake = fakeIpc({ appState: appState(3, { accounts: [accountState(ALICE, 3, { outbox: { waiting: 2, attention: 1 } })] }) });
    const store = new ShellStore(fake.ipc);
    const app = await store.load();
    expect(app?.accounts[0]?.account.email).toBe(ALICE);
    expect(store.shellOf(ALICE)?.folders.map((folder) => folder.name)).toEqual(['INBOX', 'Archive']);
    expect(store.shellOf(ALICE)?.outbox).toEqual({ waiting: 2, attention: 1 });
    expect(store.canSend).toBe(true);
    expect(store.canSendFrom(ALICE)).toBe(true);
    expect(store.canSendFrom(null)).toBe(false);
  });

  it('keeps a state event that arrives while the load is on its way', async () => {
    // The snapshot was taken while connecting; the account went Live before it arrived.
    let answer: (value: unknown) => void = () => {};
    const stale = appState(3);
    stale.accounts[0]!.snapshot.connectivity = 'connecting';
    const fake = fakeIpc({ appState: () => new Promise((resolve) => (answer = resolve)) });
    const store = new ShellStore(fake.ipc);
    const loading = store.load();
    store.apply({ event: 'connectivity', account: ALICE, state: 'live', reason: null });
    store.apply({ event: 'pending_changed', account: ALICE, pending: 2 });
    answer(stale);
    await loading;
    expect(store.shellOf(ALICE)?.connectivity).toBe('live');
    expect(store.shellOf(ALICE)?.pending).toBe(2);

    // Outside a load nothing is kept for later.
    fake.answers.appState = stale;
    store.apply({ event: 'connectivity', account: ALICE, state: 'offline', reason: 'cut' });
    await store.load();
    expect(store.shellOf(ALICE)?.connectivity).toBe('connecting');
  });

  it('overlapping loads lose no state event, whichever answers last', async () => {
    // The caller's load and a reload event's load overlap; the older answer comes last.
    const answers: ((value: unknown) => void)[] = [];
    const stale = appState(3);
    stale.accounts[0]!.snapshot.connectivity = 'connecting';
    const fake = fakeIpc({ appState: () => new Promise((resolve) => answers.push(resolve)) });
    const store = new ShellStore(fake.ipc);
    const first = store.load();
    const second = store.load();
    store.apply({ event: 'connectivity', account: ALICE, state: 'live', reason: null });
    answers[1]!(appState(3));
    await second;
    answers[0]!(stale);
    await first;
    expect(store.shellOf(ALICE)?.connectivity).toBe('live');
  });

  it('shows a failed load in the banner', async () => {
    const store = new ShellStore(fakeIpc({ appState: failure('backend gone', 'other') }).ipc);
    expect(await store.load()).toBeNull();
    expect(store.error?.message).toBe('backend gone');
    store.dismissError();
    expect(store.error).toBeNull();
  });

  it('offers a rebuild for a damaged cache, from start-up or from an event', async () => {
    const damaged = failure('the cache is damaged', 'cache_damaged');
    const store = new ShellStore(fakeIpc({ appState: appState(3, { startup_error: damaged }) }).ipc);
    await store.load();
    expect(store.damaged?.code).toBe('cache_damaged');

    const other = new ShellStore(fakeIpc({ appState: appState() }).ipc);
    await other.load();
    const effects = other.apply({ event: 'cache_damaged', message: 'page 7 is garbage' });
    expect(effects).toEqual({ reload: false, listChanged: null });
    expect(other.damaged?.message).toBe('page 7 is garbage');
  });

  it('rebuilds: says what was kept, or stays on the damaged screen with the new reason', async () => {
    const fake = fakeIpc({ rebuildCache: 'Kept 2 queued changes.' });
    const store = new ShellStore(fake.ipc);
    store.cacheDamaged(failure('damaged', 'cache_damaged'));
    expect(await store.rebuildCache()).toBe(true);
    expect(store.rebuilt).toBe('Kept 2 queued changes.');
    expect(store.damaged).toBeNull();
    expect(store.rebuilding).toBe(false);
    store.dismissRebuilt();
    expect(store.rebuilt).toBeNull();

    fake.answers.rebuildCache = failure('the server is away', 'network');
    store.cacheDamaged(failure('damaged', 'cache_damaged'));
    expect(await store.rebuildCache()).toBe(false);
    expect(store.damaged?.message).toBe('the server is away');
  });

  it('applies events to the shell and dismisses notices one by one', async () => {
    const store = new ShellStore(fakeIpc({ appState: appState() }).ipc);
    await store.load();
    const effects = store.apply({ event: 'action_dropped', account: ALICE, folder: 'INBOX', uid: 1, action: 'mark_read', reason: 'gone' });
    expect(effects.listChanged).toEqual({ account: ALICE, folder: 'INBOX' });
    expect(store.shellOf(ALICE)?.notices).toHaveLength(1);
    store.dismissNotice(ALICE, 0);
    expect(store.shellOf(ALICE)?.notices).toHaveLength(0);
  });

  it('refreshes with a busy flag, and saves settings even when the backend refuses', async () => {
    const fake = fakeIpc({ refresh: failure('offline') });
    const store = new ShellStore(fake.ipc);
    const refreshing = store.refresh(null, 'INBOX');
    expect(store.refreshing).toBe(true);
    await refreshing;
    expect(store.refreshing).toBe(false);
    expect(store.error?.message).toBe('offline');
    expect(fake.calls.refresh).toEqual([[null, 'INBOX']]);
    await store.saveSettings({ notifications: false, close_to_tray: true, last_folder: null, last_account: null, last_unified: false, start_at_login: false, folder_pane: 0, list_pane: 0 });
    expect(store.settings.notifications).toBe(false);
    expect(fake.calls.setSettings).toHaveLength(1);
  });

  it('keeps each account apart: events change only their own, the top bar says the worst, counts add up', async () => {
    const bob = accountState(BOB, 5, { outbox: { waiting: 1, attention: 0 } });
    const fake = fakeIpc({ appState: appState(3, { accounts: [accountState(ALICE, 3), bob] }) });
    const store = new ShellStore(fake.ipc);
    await store.load();
    expect(store.connectivity).toBe('live');
    expect(store.unifiedUnread).toBe(2);
    expect(store.outbox).toEqual({ waiting: 1, attention: 0 });
    store.apply({ event: 'connectivity', account: BOB, state: 'offline', reason: 'refused' });
    expect(store.shellOf(ALICE)?.connectivity).toBe('live');
    expect(store.shellOf(BOB)?.connectivity).toBe('offline');
    expect(store.connectivity).toBe('offline');
    store.apply({ event: 'connectivity', account: ALICE, state: 'sign_in_needed', reason: null });
    expect(store.connectivity).toBe('sign_in_needed');
    const effects = store.apply({ event: 'folder_changed', account: BOB, folder: 'INBOX', added: 1, removed: 0, flags_changed: 0, resync: false, total: 6, unread: 4 });
    expect(effects.listChanged).toEqual({ account: BOB, folder: 'INBOX' });
    expect(store.unifiedUnread).toBe(5);
    // An account the window does not know yet (added elsewhere): load again.
    expect(store.apply({ event: 'pending_changed', account: 'carol@tern.test', pending: 1 }).reload).toBe(true);
  });
});
