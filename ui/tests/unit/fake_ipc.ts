// A backend for the stores' unit tests: every IPC call answered from a table the test sets
// (a value, a function of the arguments, or an error), and every call recorded.
import { vi } from 'vitest';
import type { AppStateDto, IpcError, Ipc, MessageDto, MessageRowDto } from '../../src/lib/ipc';

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

export function row(uid: number, seen = false): MessageRowDto {
  return { uid, subject: `m${uid}`, from: 'Ann', from_address: 'ann@x', date: uid, seen, flagged: false, answered: false, attachments: false };
}

export function message(folder: string, uid: number): MessageDto {
  return {
    folder, uid, subject: `m${uid}`, from: [{ name: 'Ann', address: 'ann@x' }], to: [], cc: [], date: uid,
    html: '<p>hi</p>', remote_blocked: 0, remote_allowed: false, attachments: [], warnings: [], from_cache: true,
  };
}

/** `app_state` of an account with INBOX (`inbox` messages) and Archive. */
export function appState(inbox = 3, extra: Partial<AppStateDto> = {}): AppStateDto {
  return {
    account: { email: 'alice@tern.test', imap_host: '127.0.0.1', imap_port: 143, security: 'plain' },
    snapshot: {
      account: 'alice@tern.test',
      folders: [
        { name: 'INBOX', role: 'inbox', total: inbox, unread: 1 },
        { name: 'Archive', role: 'archive', total: 0, unread: 0 },
      ],
      connectivity: 'live',
      connectivity_reason: null,
      pending: 0,
    },
    settings: { notifications: true, close_to_tray: true, last_folder: null },
    demo: null,
    startup_error: null,
    outbox: { waiting: 0, attention: 0 },
    can_send: true,
    ...extra,
  };
}

/** A `messages` answer over a folder of `total` messages, newest (highest UID) first. */
export function pages(total: number, seen = false) {
  return (_folder: string, offset: number, limit: number) => ({
    folder: 'INBOX',
    offset,
    total,
    unread: 0,
    rows: Array.from({ length: Math.max(0, Math.min(limit, total - offset)) }, (_, i) => row(total - offset - i, seen)),
  });
}
