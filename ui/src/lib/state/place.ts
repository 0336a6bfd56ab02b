// Where the list looks (a folder of one account, or the unified inbox) and which message a
// row is: with several accounts a UID alone names nothing (every INBOX has a UID 1), so
// rows, selections and actions carry their account and folder.
import type { MessageRowDto, SettingsDto } from '../ipc';

/** A folder of `account`, or (account null) the unified inbox: every account's INBOX. */
export interface Place {
  account: string | null;
  folder: string;
}

export const UNIFIED: Place = { account: null, folder: 'INBOX' };

/** One message: its account, its folder, its UID there. */
export interface RowRef {
  account: string;
  folder: string;
  uid: number;
}

export function isUnified(place: Place): boolean {
  return place.account === null;
}

export function samePlace(a: Place, b: Place): boolean {
  return a.account === b.account && a.folder === b.folder;
}

export function sameRow(a: RowRef | null | undefined, b: RowRef | null | undefined): boolean {
  return !!a && !!b && a.uid === b.uid && a.folder === b.folder && a.account === b.account;
}

export function refOf(row: MessageRowDto): RowRef {
  return { account: row.account, folder: row.folder, uid: row.uid };
}

/** Whether `place` shows messages of `folder` of `account` (the unified inbox shows every INBOX). */
export function shows(place: Place, account: string, folder: string): boolean {
  if (place.account === null) return folder.toUpperCase() === 'INBOX';
  return place.account === account && place.folder === folder;
}

/** `refs` grouped by account and folder (one action per folder), in first-seen order. */
export function byFolder(refs: RowRef[]): { account: string; folder: string; uids: number[] }[] {
  const groups: { account: string; folder: string; uids: number[] }[] = [];
  for (const ref of refs) {
    const group = groups.find((g) => g.account === ref.account && g.folder === ref.folder);
    if (group) group.uids.push(ref.uid);
    else groups.push({ account: ref.account, folder: ref.folder, uids: [ref.uid] });
  }
  return groups;
}

/** The place to show at start: the last one when it still exists, else the unified inbox
 *  (several accounts) or the first account's INBOX. */
export function startPlace(
  settings: SettingsDto,
  accounts: { email: string; folders: string[] }[],
): Place | null {
  const first = accounts[0];
  if (!first) return null;
  if (settings.last_unified && accounts.length > 1) return UNIFIED;
  const account = accounts.find((a) => a.email === settings.last_account) ?? first;
  const folder = settings.last_folder;
  if (folder && account.folders.includes(folder)) return { account: account.email, folder };
  if (accounts.length > 1 && !settings.last_account && !settings.last_folder) return UNIFIED;
  const inbox = account.folders.includes('INBOX') ? 'INBOX' : (account.folders[0] ?? 'INBOX');
  return { account: account.email, folder: inbox };
}
