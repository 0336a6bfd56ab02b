/// <reference types="node" />
import { createServer } from 'node:http';
import { expect, test, type Page } from '@playwright/test';

async function load(page: Page, options: Record<string, unknown> = {}) {
  await page.addInitScript((stub) => {
    (window as unknown as { ternStub: unknown }).ternStub = stub;
  }, options);
  await page.goto('/stub.html');
  // The UI listens for events before it loads: once something is drawn, events arrive.
  await expect(
    page.locator('[data-testid="message-list"], [data-testid="setup-form"], [data-testid="cache-damaged"]').first(),
  ).toBeVisible();
}

test('a 100k-message inbox renders only the rows on screen and scrolls to the end', async ({ page }) => {
  await load(page);
  const list = page.getByTestId('message-list');
  await expect(list).toHaveAttribute('data-total', '100000');
  await expect(page.getByTestId('message-row').first()).toContainText('Message number 100000');
  await expect(page.locator('[data-uid="100000"] [data-testid="has-attachments"]')).toBeVisible();
  await expect(page.locator('[data-uid="99999"] [data-testid="has-attachments"]')).toHaveCount(0);
  // Gmail labels show as chips on their rows only.
  await expect(page.locator('[data-uid="100000"] [data-testid="row-label"]')).toHaveText(['Work', 'Travel']);
  await expect(page.locator('[data-uid="99999"] [data-testid="row-label"]')).toHaveCount(0);
  // Each row shows the beginning of the sender's words, on one line, cut with an ellipsis.
  const preview = page.locator('[data-uid="100000"] [data-testid="row-preview"]');
  await expect(preview).toContainText('Hello, this is message 100000.');
  expect(await preview.evaluate((element) => element.scrollWidth > element.clientWidth)).toBe(true);
  expect(await preview.evaluate((element) => getComputedStyle(element).textOverflow)).toBe('ellipsis');
  await expect(page.locator('[data-uid="99999"] [data-testid="row-preview"]')).toHaveText('');
  // Each row has its sender's initials in a circle of the sender's own color.
  await expect(page.locator('[data-uid="100000"] [data-testid="row-avatar"]')).toHaveText('S5');
  const color = (uid: number) =>
    page.locator(`[data-uid="${uid}"] [data-testid="row-avatar"]`).evaluate((element) => getComputedStyle(element).backgroundColor);
  expect(await color(100000)).toBe(await color(100000 - 7));
  expect(await color(100000)).not.toBe(await color(99999));
  expect(await page.getByTestId('message-row').count()).toBeLessThan(60);
  await list.evaluate((element) => (element.scrollTop = element.scrollHeight));
  await expect(page.locator('[data-uid="1"]')).toBeVisible();
  expect(await page.getByTestId('message-row').count()).toBeLessThan(60);
});

test('opening a message shows it and marks it read through the action path', async ({ page }) => {
  await load(page);
  await page.locator('[data-uid="100000"]').click();
  await expect(page.getByTestId('reader-subject')).toHaveText('Message number 100000');
  await expect(page.locator('[data-uid="100000"]')).not.toHaveClass(/unread/);
  const calls = await page.evaluate(() => window.tern.calls.filter((call) => call.cmd === 'act'));
  expect(calls).toEqual([{ cmd: 'act', args: { account: 'alice@tern.test', folder: 'INBOX', uids: [100000], action: { kind: 'mark_read' } } }]);
});

test('keyboard: j/k move and open, s flags, ? shows help', async ({ page }) => {
  await load(page);
  await expect(page.getByTestId('message-row').first()).toBeVisible();
  await page.keyboard.press('j');
  await expect(page.getByTestId('reader-subject')).toHaveText('Message number 100000');
  await page.keyboard.press('j');
  await expect(page.getByTestId('reader-subject')).toHaveText('Message number 99999');
  await page.keyboard.press('k');
  await expect(page.getByTestId('reader-subject')).toHaveText('Message number 100000');
  await page.keyboard.press('s');
  await expect(page.locator('[data-uid="100000"] [data-testid="flagged"]')).toBeVisible();
  await page.keyboard.press('?');
  await expect(page.getByTestId('help')).toContainText('Archive');
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('help')).toHaveCount(0);
});

test('new mail from an event appears without a click and keeps the selection', async ({ page }) => {
  await load(page, { inbox: 50 });
  await page.locator('[data-uid="40"]').click();
  await expect(page.getByTestId('reader-subject')).toHaveText('Message number 40');
  await page.evaluate(async () => {
    window.tern.addMessages(2);
    await window.tern.emit({
      event: 'folder_changed', account: 'alice@tern.test', folder: 'INBOX', added: 2, removed: 0, flags_changed: 0, resync: false, total: 52, unread: 51,
    });
  });
  await expect(page.getByTestId('message-row').first()).toContainText('Message number 52');
  await expect(page.locator('[data-uid="40"]')).toHaveClass(/selected/);
  await expect(page.getByTestId('unread-INBOX')).toHaveText('51');
});

test('offline: the banner counts waiting changes and the indicator says offline', async ({ page }) => {
  await load(page, { connectivity: 'offline', pending: 3 });
  await expect(page.getByTestId('live')).toHaveText('Offline');
  await expect(page.getByTestId('offline-banner')).toContainText('3 changes are waiting');
  await page.evaluate(() => window.tern.emit({ event: 'connectivity', account: 'alice@tern.test', state: 'live', reason: null }));
  await expect(page.getByTestId('live')).toHaveText('Live');
  await expect(page.getByTestId('offline-banner')).toHaveCount(0);
});

test('first sync shows a progress bar', async ({ page }) => {
  await load(page);
  await page.evaluate(() => window.tern.emit({ event: 'sync_progress', account: 'alice@tern.test', folder: 'INBOX', synced: 2500, total: 10000, phase: 'headers', eta_ms: null }));
  await expect(page.getByTestId('sync-progress')).toContainText('2,500 of 10,000');
});

test('keeping mail offline and indexing for search show their own progress, gone when done', async ({ page }) => {
  await load(page);
  const emit = (phase: string, folder: string, synced: number, total: number, eta_ms: number | null) =>
    page.evaluate(
      (event) => window.tern.emit(event),
      { event: 'sync_progress' as const, account: 'alice@tern.test', folder, synced, total, phase, eta_ms },
    );
  await emit('bodies', 'Work', 1200, 5000, 125_000);
  await expect(page.getByTestId('offline-progress')).toContainText('Keeping Work offline: 1,200 of 5,000 messages about 3 min left');
  await emit('indexing', '', 42000, 100000, null);
  await expect(page.getByTestId('index-progress')).toContainText('Indexing for search: 42,000 of 100,000 messages');
  await expect(page.getByTestId('sync-progress')).toHaveCount(0);
  await emit('bodies', 'Work', 5000, 5000, 0);
  await emit('indexing', '', 100000, 100000, 0);
  await expect(page.getByTestId('offline-progress')).toHaveCount(0);
  await expect(page.getByTestId('index-progress')).toHaveCount(0);
});

test('a hostile message runs nothing: the body frame is sandboxed without scripts', async ({ page }) => {
  await load(page, { hostile: true });
  await page.locator('[data-uid="100000"]').click();
  const frame = page.getByTestId('reader-body');
  await expect(frame).toHaveAttribute('sandbox', 'allow-top-navigation-by-user-activation');
  await expect(page.frameLocator('[data-testid="reader-body"]').locator('p')).toHaveText('Hello');
  await page.frameLocator('[data-testid="reader-body"]').locator('a').click().catch(() => {});
  expect(await page.evaluate(() => window.pwned)).toBeUndefined();
  await expect(page.getByTestId('remote-bar')).toContainText('2 remote images were blocked');
});

test('the message frame loads remote images only when they were allowed', async ({ page }) => {
  // A recording HTTP server stands for a tracker (requests from the sandboxed frame bypass
  // Playwright's routing); the frame's own CSP must keep a remote image that slipped past
  // the sanitizer from being requested unless the person allowed remote content.
  const requests: string[] = [];
  const server = createServer((request, response) => {
    requests.push(request.url ?? '');
    response.writeHead(204);
    response.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const tracker = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  try {
    await load(page, { remoteImage: `${tracker}/control-before.gif`, remoteAllowed: true });
    await page.locator('[data-uid="100000"]').click();
    await expect.poll(() => requests).toContain('/control-before.gif');

    await load(page, { remoteImage: `${tracker}/blocked.gif`, remoteAllowed: false });
    await page.locator('[data-uid="100000"]').click();
    // The image comes before this text in the frame: once the text shows, it was parsed.
    await expect(page.frameLocator('[data-testid="reader-body"]').locator('p')).toHaveText('Image below');

    await load(page, { remoteImage: `${tracker}/control-after.gif`, remoteAllowed: true });
    await page.locator('[data-uid="100000"]').click();
    await expect.poll(() => requests).toContain('/control-after.gif');
    expect(requests).not.toContain('/blocked.gif');
  } finally {
    server.close();
  }
});

test('a damaged cache is said in one sentence and rebuilt with one click', async ({ page }) => {
  await load(page, { damaged: true });
  await expect(page.getByTestId('cache-damaged')).toContainText('damaged');
  await page.getByTestId('rebuild-cache').click();
  await expect(page.getByTestId('message-list')).toBeVisible();
  await expect(page.getByTestId('rebuilt')).toContainText('kept 1 account, 2 queued changes');
  const calls = await page.evaluate(() => window.tern.calls.map((call) => call.cmd));
  expect(calls).toContain('rebuild_cache');
});

test('search shows local results', async ({ page }) => {
  await load(page, { inbox: 20 });
  await page.keyboard.press('/');
  await page.keyboard.type('number');
  await expect(page.getByTestId('search-caption')).toContainText('1 result');
});

test('setup: provider table fills the server, a bad password says so, the right one adds the account', async ({ page }) => {
  await load(page, { account: false });
  await page.locator('input[name=email]').fill('someone@gmail.com');
  await page.locator('input[name=username]').focus();
  await expect(page.getByTestId('provider')).toContainText('Gmail');
  await expect(page.locator('input[name=imap_host]')).toHaveValue('imap.gmail.com');
  await page.locator('input[name=password]').fill('wrong');
  await page.getByTestId('test-connection').click();
  await expect(page.getByTestId('setup-error')).toContainText('refused the user name or password');
  await page.locator('input[name=password]').fill('right');
  await page.getByTestId('add-account').click();
  await expect(page.getByTestId('folders')).toContainText('Inbox');
});

test('setup: an address outside the table is looked up, and the answer fills only untouched fields', async ({ page }) => {
  await load(page, { account: false });
  await page.locator('input[name=email]').fill('someone@acme.test');
  await page.locator('input[name=username]').focus();
  await expect(page.getByTestId('discovered')).toContainText('Found Acme Mail via autoconfig https://autoconfig.acme.test/');
  await expect(page.locator('input[name=imap_host]')).toHaveValue('mail.acme.test');
  await expect(page.locator('input[name=username]')).toHaveValue('someone');
  await expect(page.locator('input[name=smtp_port]')).toHaveValue('587');

  // Nothing found: the guessed names stay, and the person is told.
  await page.locator('input[name=email]').fill('me@nowhere.test');
  await page.locator('input[name=password]').focus();
  await expect(page.getByTestId('discovered')).toContainText('No settings found');

  // A field the person typed is not replaced by a late answer.
  await page.locator('input[name=imap_host]').fill('my.own.server');
  await page.locator('input[name=email]').fill('other@acme.test');
  await page.locator('input[name=password]').focus();
  await expect(page.getByTestId('discovered')).toContainText('Found Acme Mail');
  await expect(page.locator('input[name=imap_host]')).toHaveValue('my.own.server');
});

test('settings: notifications and close-to-tray are saved through the backend', async ({ page }) => {
  await load(page);
  await page.getByTestId('open-settings').click();
  await page.getByTestId('setting-notifications').uncheck();
  const calls = await page.evaluate(() => window.tern.calls.filter((call) => call.cmd === 'set_settings'));
  expect(calls.at(-1)?.args).toEqual({
    settings: { notifications: false, close_to_tray: true, last_folder: null, last_account: null, last_unified: false, start_at_login: false, folder_pane: 0, list_pane: 0 },
  });
});

test('conversations: threads collapse and expand, and their messages open', async ({ page }) => {
  await load(page, { inbox: 20 });
  await page.getByTestId('thread-toggle').check();
  await expect(page.getByTestId('thread-row')).toHaveCount(2);
  await expect(page.getByTestId('thread-message')).toHaveCount(0);
  await page.getByTestId('thread-row').first().click();
  await expect(page.getByTestId('thread-message')).toHaveCount(3);
  await page.getByTestId('thread-message').nth(1).click();
  await expect(page.getByTestId('reader-subject')).toHaveText('Message number 2');
  await page.getByTestId('thread-row').first().click();
  await expect(page.getByTestId('thread-message')).toHaveCount(0);
});

test('the first screen is reported painted once, also for an empty folder (the backend then goes online)', async ({ page }) => {
  for (const inbox of [100000, 0]) {
    await load(page, { inbox });
    await expect(page.getByTestId('message-list')).toHaveAttribute('data-total', String(inbox));
    await expect
      .poll(() => page.evaluate(() => window.tern.calls.filter((call) => call.cmd === 'painted').map((call) => call.args.what)))
      .toEqual(['first_rows']);
  }
});

test('compose: reply-all starts from the message, completes addresses, attaches, sends to the outbox', async ({ page }) => {
  await load(page);
  await page.locator('[data-uid="100000"]').click();
  await page.getByTestId('reply-all').click();
  const form = page.getByTestId('compose');
  await expect(form.locator('input[name=subject]')).toHaveValue('Re: Message number 100000');
  await expect(form.locator('input[name=cc]')).toHaveValue('carol@tern.test');
  await expect(form.locator('textarea[name=body]')).toHaveValue(/> Body of message 100000/);
  await form.locator('input[name=to]').fill('Sender 5 <sender5@tern.test>, bo');
  await form.getByTestId('suggestions').getByRole('button', { name: 'Bob Builder <bob@tern.test>' }).click();
  await expect(form.locator('input[name=to]')).toHaveValue('Sender 5 <sender5@tern.test>, Bob Builder <bob@tern.test>, ');
  await form.locator('input[type=file]').setInputFiles('tests/pages/fixtures/plan.txt');
  await expect(form.getByTestId('compose-attachments')).toContainText('plan.txt');
  await form.locator('input[name=with_html]').check();
  // Autosaved as a draft after a pause in typing.
  await expect(form.getByTestId('draft-state')).toHaveText('Draft saved');
  await form.getByTestId('send').click();
  await expect(page.getByTestId('compose')).toHaveCount(0);
  const saves = await page.evaluate(() => window.tern.calls.filter((call) => call.cmd === 'save_draft').map((call) => call.args));
  expect(saves[0]).toMatchObject({ id: null, draft: { subject: 'Re: Message number 100000' } });
  const sends = await page.evaluate(() => window.tern.calls.filter((call) => call.cmd === 'send_message').map((call) => call.args));
  expect(sends[0]?.draftId).toBe(7);
  const sent = sends.map((args) => args.draft);
  expect(sent).toHaveLength(1);
  expect(sent[0]).toMatchObject({
    subject: 'Re: Message number 100000',
    cc: 'carol@tern.test',
    in_reply_to: '100000@tern.test',
    with_html: true,
    attachments: [{ name: 'plan.txt', content_type: 'text/plain', size: 8, data_base64: btoa('the plan') }],
  });
});

test('compose: a message without recipients is refused with a message, the form stays', async ({ page }) => {
  await load(page);
  await page.getByTestId('compose-new').click();
  await page.getByTestId('compose').locator('input[name=subject]').fill('Nobody');
  await page.getByTestId('send').click();
  await expect(page.getByTestId('compose-error')).toHaveText('Add a recipient');
  await expect(page.getByTestId('compose')).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('compose')).toHaveCount(0);
});

test('the outbox indicator follows outbox events', async ({ page }) => {
  await load(page);
  await expect(page.getByTestId('outbox')).toHaveCount(0);
  await page.evaluate(() => window.tern.emit({ event: 'outbox_changed', account: 'alice@tern.test', waiting: 1, attention: 0 }));
  await expect(page.getByTestId('outbox')).toHaveText('1 to send');
  await page.evaluate(() => window.tern.emit({ event: 'outbox_changed', account: 'alice@tern.test', waiting: 0, attention: 1 }));
  await expect(page.getByTestId('outbox')).toHaveText('1 not sent');
});

test('a refused message shows the server\'s words in the outbox and comes back for editing', async ({ page }) => {
  await load(page);
  await page.evaluate(() => window.tern.emit({ event: 'outbox_changed', account: 'alice@tern.test', waiting: 0, attention: 1 }));
  await page.getByTestId('outbox').click();
  const entry = page.getByTestId('outbox-entry');
  await expect(entry).toContainText('Not sent');
  await expect(entry.getByTestId('outbox-reason')).toContainText('User unknown');
  await entry.getByTestId('outbox-edit').click();
  const form = page.getByTestId('compose');
  await expect(form.locator('input[name=to]')).toHaveValue('nobody@tern.test');
  await form.locator('input[name=to]').fill('bob@tern.test');
  await form.getByTestId('send').click();
  await expect(form).toHaveCount(0);
  const sends = await page.evaluate(() => window.tern.calls.filter((call) => call.cmd === 'send_message').map((call) => call.args));
  expect(sends.at(-1)).toMatchObject({ draftId: 9, draft: { to: 'bob@tern.test', subject: 'To nobody' } });
});

test('two accounts: the sidebar lists each with its state, the unified inbox merges them and acts on each row\'s own', async ({ page }) => {
  await load(page, { inbox: 5, second: true });
  await expect(page.getByTestId('unified-inbox')).toHaveClass(/current/);
  await expect(page.getByTestId('unread-unified')).toHaveText('8');
  const accounts = page.getByTestId('account');
  await expect(accounts).toHaveCount(2);
  await expect(accounts.nth(0).getByTestId('account-state')).toHaveAttribute('data-state', 'live');
  await expect(accounts.nth(1).getByTestId('account-state')).toHaveAttribute('data-state', 'sign_in_needed');
  // The worst state shows at the top, and the account that needs a sign-in says so with a button.
  await expect(page.getByTestId('live')).toHaveText('Sign-in needed');
  await expect(page.locator('[data-testid="sign-in-banner"][data-account="bob@tern.test"] [data-testid="sign-in"]')).toBeVisible();
  const list = page.getByTestId('message-list');
  await expect(list).toHaveAttribute('data-total', '8');
  const first = page.getByTestId('message-row').first();
  await expect(first).toHaveAttribute('data-account', 'alice@tern.test');
  await expect(page.locator('[data-account="bob@tern.test"][data-uid="3"] [data-testid="row-account"]')).toHaveText('bob@tern.test');
  // The same UID in both accounts: opening Bob's marks Bob's read, not Alice's.
  await page.locator('[data-testid="message-row"][data-account="bob@tern.test"][data-uid="3"]').click();
  await expect(page.getByTestId('reader-subject')).toHaveText('Message number 3');
  const acts = await page.evaluate(() => window.tern.calls.filter((call) => call.cmd === 'act' || call.cmd === 'open_message'));
  expect(acts).toEqual([
    { cmd: 'open_message', args: { account: 'bob@tern.test', folder: 'INBOX', uid: 3, allowRemote: false } },
    { cmd: 'act', args: { account: 'bob@tern.test', folder: 'INBOX', uids: [3], action: { kind: 'mark_read' } } },
  ]);
  // One account's folder.
  await page.locator('[data-testid="folders"] [data-folder="INBOX"][data-account="bob@tern.test"]').click();
  await expect(list).toHaveAttribute('data-total', '3');
  await expect(page.getByTestId('row-account')).toHaveCount(0);
  const shown = await page.evaluate(() => window.tern.calls.filter((call) => call.cmd === 'show_folder').at(-1));
  expect(shown).toEqual({ cmd: 'show_folder', args: { account: 'bob@tern.test', folder: 'INBOX' } });
});

test('settings: the offline policy is shown as stored and saved as chosen', async ({ page }) => {
  await load(page, { inbox: 5 });
  await page.getByTestId('open-settings').click();
  await page.locator('[data-testid="settings-account"][data-account="alice@tern.test"]').getByTestId('account-edit-open').click();
  const form = page.getByTestId('account-edit');
  await expect(form.getByTestId('offline-policy')).toHaveValue('days');
  await expect(form.getByTestId('offline-days')).toHaveValue('30');
  await form.getByTestId('offline-policy').selectOption('all');
  await expect(form.getByTestId('offline-days')).toHaveCount(0);
  await page.getByTestId('account-save').click();
  await expect(form).toHaveCount(0);
  const updates = await page.evaluate(() => window.tern.calls.filter((call) => call.cmd === 'update_account'));
  expect(updates).toHaveLength(1);
  expect(updates[0]?.args).toMatchObject({ edit: { offline_bodies: 'all', offline_max_mib: 5, max_connections: 4 } });
});

test('settings: an account is edited (name and signature only: no login) and removed after naming what would be lost', async ({ page }) => {
  await load(page, { inbox: 5, second: true });
  await page.getByTestId('open-settings').click();
  const alice = page.locator('[data-testid="settings-account"][data-account="alice@tern.test"]');
  await alice.getByTestId('account-edit-open').click();
  const form = page.getByTestId('account-edit');
  await expect(form.locator('input[name=imap_host]')).toHaveValue('127.0.0.1');
  await form.locator('textarea[name=signature]').fill('Alice\nTern team');
  await page.getByTestId('account-save').click();
  await expect(form).toHaveCount(0);
  const updates = await page.evaluate(() => window.tern.calls.filter((call) => call.cmd === 'update_account'));
  expect(updates).toEqual([
    { cmd: 'update_account', args: { account: 'alice@tern.test', edit: { name: 'Alice', signature: 'Alice\nTern team', servers: null, max_connections: 4, offline_bodies: 'days:30', offline_max_mib: 5 } } },
  ]);
  // Removing asks first; what exists only here is named before anything is lost.
  const bob = page.locator('[data-testid="settings-account"][data-account="bob@tern.test"]');
  await bob.getByTestId('account-remove').click();
  await page.getByTestId('remove-confirm').click();
  await expect(page.getByTestId('remove-ask')).toContainText('2 changes not yet on the server and 1 draft');
  await page.getByTestId('remove-anyway').click();
  await expect(page.getByTestId('account-said')).toContainText('bob@tern.test was removed');
  const removals = await page.evaluate(() =>
    window.tern.calls.filter((call) => call.cmd === 'remove_account').map((call) => call.args),
  );
  expect(removals).toEqual([
    { account: 'bob@tern.test', force: false },
    { account: 'bob@tern.test', force: true },
  ]);
});
