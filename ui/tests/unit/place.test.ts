import { describe, expect, it } from 'vitest';
import { byFolder, sameRow, shows, startPlace, UNIFIED } from '../../src/lib/state/place';
import type { SettingsDto } from '../../src/lib/ipc';

const settings = (extra: Partial<SettingsDto> = {}): SettingsDto => ({
  notifications: true, close_to_tray: true, last_folder: null, last_account: null, last_unified: false, start_at_login: false, folder_pane: 0, list_pane: 0, ...extra,
});
const ONE = [{ email: 'a@x', folders: ['INBOX', 'Archive'] }];
const TWO = [...ONE, { email: 'b@y', folders: ['INBOX', 'Lists'] }];

describe('place', () => {
  it('starts where the person left, else the unified inbox (several accounts) or INBOX', () => {
    const cases: [SettingsDto, typeof ONE, unknown][] = [
      [settings(), [], null],
      [settings(), ONE, { account: 'a@x', folder: 'INBOX' }],
      [settings(), TWO, UNIFIED],
      [settings({ last_unified: true }), ONE, { account: 'a@x', folder: 'INBOX' }],
      [settings({ last_unified: true }), TWO, UNIFIED],
      [settings({ last_account: 'b@y', last_folder: 'Lists' }), TWO, { account: 'b@y', folder: 'Lists' }],
      // An older Tern kept only the folder: the first account's.
      [settings({ last_folder: 'Archive' }), TWO, { account: 'a@x', folder: 'Archive' }],
      // A folder (or an account) that is gone: that account's INBOX, or the first's.
      [settings({ last_account: 'b@y', last_folder: 'Gone' }), TWO, { account: 'b@y', folder: 'INBOX' }],
      [settings({ last_account: 'gone@z', last_folder: 'Lists' }), TWO, { account: 'a@x', folder: 'INBOX' }],
    ];
    for (const [saved, accounts, expected] of cases) expect(startPlace(saved, accounts)).toEqual(expected);
  });

  it('knows which events touch the list on screen', () => {
    expect(shows(UNIFIED, 'a@x', 'INBOX')).toBe(true);
    expect(shows(UNIFIED, 'b@y', 'Lists')).toBe(false);
    expect(shows({ account: 'a@x', folder: 'Lists' }, 'a@x', 'Lists')).toBe(true);
    expect(shows({ account: 'a@x', folder: 'Lists' }, 'b@y', 'Lists')).toBe(false);
  });

  it('names a message by account, folder and UID, and groups actions by folder', () => {
    expect(sameRow({ account: 'a@x', folder: 'INBOX', uid: 1 }, { account: 'b@y', folder: 'INBOX', uid: 1 })).toBe(false);
    expect(sameRow({ account: 'a@x', folder: 'INBOX', uid: 1 }, null)).toBe(false);
    expect(
      byFolder([
        { account: 'a@x', folder: 'INBOX', uid: 1 },
        { account: 'b@y', folder: 'INBOX', uid: 1 },
        { account: 'a@x', folder: 'INBOX', uid: 2 },
      ]),
    ).toEqual([
      { account: 'a@x', folder: 'INBOX', uids: [1, 2] },
      { account: 'b@y', folder: 'INBOX', uids: [1] },
    ]);
  });
});
