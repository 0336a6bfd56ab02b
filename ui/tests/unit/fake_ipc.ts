// A backend for the stores' unit tests: every IPC call answered from a table the test sets
// (a value, a function of the arguments, or an error), and every call recorded.
import { vi } from 'vitest';
import type { AccountStateDto, AppStateDto, IpcError, Ipc, MessageDto, MessageRowDto } from '../../src/lib/ipc';

export const ALICE = 'alice@tern.test';
export const BOB = 'bob@tern.test';

type Answer = unknown | ((...args: never[]) => unknown);

export interface Fake {
  ipc: Ipc;
  /** Calls made, by command: the arguments of each. */
  calls: Record<string, unknown[][]>;
  /** Answers by command; an `IpcError` (an object with `code`) is thrown. */
  answers: Record<string, Answer>;
}

export function failure(message: string, code: IpcError['code'] = 'network'): IpcError {
  return { code, message };
}

function isIpcError(value: unknown): value is IpcError {
  return typeof value === 'object' && value !== null && 'code' in value && 'message' in value;
}

export function fakeIpc(answers: Record<string, Answer> = {}): Fake {
  const fake: Fake = { ipc: {} as Ipc, calls: {}, answers };
  fake.ipc = new Proxy({} as Ipc, {
    get(_target, command: string) {
      return vi.fn(async (...args: unknown[]) => {
        (fake.calls[command] ??= []).push(args);
        const answer = fake.answers[command];
        const value = typeof answer === 'function' ? (answer as (...a: unknown[]) => unknown)(...args) : answer;
        const settled = await value;
        if (isIpcError(settled)) throw settled;
        return settled ?? null;
      });
    },
  });
  return fake;
}

/** Lets pending promises (and a paint) settle. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

// The stores wait for a paint before telling the backend; there is none in Node.
globalThis.requestAnimationFrame ??= ((callback: FrameRequestCallback) =>
  setTimeout(() => callback(0), 0) as unknown as number) as typeof requestAnimationFrame;

export function row(uid: number, seen = false, account = ALICE, folder = 'INBOX'): MessageRowDto {
  return { account, folder, uid, subject: `m${uid}`, from: 'Ann', from_address: 'ann@x', date: uid, seen, flagged: false, answered: false, attachments: false, labels: [], preview: '' };
}

export function message(folder: string, uid: number, account = ALICE): MessageDto {
  return {
    account, folder, uid, subject: `m${uid}`, from: [{ name: 'Ann', address: 'ann@x' }], to: [], cc: [], date: uid,
    html: '<p>hi</p>', remote_blocked: 0, remote_allowed: false, attachments: [], warnings: [], from_cache: true,
  };
}

/** One account of `app_state` with INBOX (`inbox` messages, one unread) and Archive. */
export function accountState(email = ALICE, inbox = 3, extra: Partial<AccountStateDto> = {}): AccountStateDto {
  return {
    account: { email, name: null, imap_host: '127.0.0.1', imap_port: 143, security: 'plain', oauth2: false },
    snapshot: {
      account: email,
      folders: [
        { name: 'INBOX', role: 'inbox', total: inbox, unread: 1 },
        { name: 'Archive', role: 'archive', total: 0, unread: 0 },
      ],
      connectivity: 'live',
      connectivity_reason: null,
      pending: 0,
    },
    outbox: { waiting: 0, attention: 0 },
    can_send: true,
    ...extra,
  };
}

/** `app_state` of one account (`accountState`), or of `accounts` when given. */
export function appState(inbox = 3, extra: Partial<AppStateDto> = {}): AppStateDto {
  return {
    accounts: [accountState(ALICE, inbox)],
    settings: { notifications: true, close_to_tray: true, last_folder: null, last_account: null, last_unified: false, start_at_login: false, folder_pane: 0, list_pane: 0 },
    demo: null,
    startup_error: null,
    ...extra,
  };
}

/** A `messages` answer over a folder of `total` messages, newest (highest UID) first. */
export function pages(total: number, seen = false) {
  return (account: string, folder: string, offset: number, limit: number) => ({
    folder,
    offset,
    total,
    unread: 0,
    rows: Array.from({ length: Math.max(0, Math.min(limit, total - offset)) }, (_, i) =>
      row(total - offset - i, seen, account, folder),
    ),
  });
}
