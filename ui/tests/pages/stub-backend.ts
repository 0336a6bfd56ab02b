// A fake backend for page tests: the same commands and events as src-tauri, over
// @tauri-apps/api's IPC mocks, with a generated folder of any size. Tests drive it through
// `window.tern` (emit events, read the calls the UI made).
import { mockIPC } from '@tauri-apps/api/mocks';
import { emit } from '@tauri-apps/api/event';
import type { AppEvent, AppStateDto, MessageDto, MessageRowDto } from '../../src/lib/ipc';

export interface StubOptions {
  account: boolean;
  inbox: number;
  connectivity: 'live' | 'connecting' | 'offline';
  pending: number;
  hostile: boolean;
  /** The cache is damaged at start (the app offers a rebuild). */
  damaged: boolean;
  /** A message body with this remote image (as if it had slipped past the sanitizer). */
  remoteImage: string | null;
  /** Whether remote content was allowed for the opened message. */
  remoteAllowed: boolean;
  /** A second account (bob@tern.test, 3 messages, offline), for the unified inbox. */
  second: boolean;
}

const ALICE = 'alice@tern.test';
const BOB = 'bob@tern.test';

export interface StubControl {
  calls: { cmd: string; args: Record<string, unknown> }[];
  emit(event: AppEvent): Promise<void>;
  addMessages(count: number): void;
}

declare global {
  interface Window {
    tern: StubControl;
    ternStub?: Partial<StubOptions>;
    pwned?: boolean;
  }
}

const HOSTILE = `<p>Hello</p><img src="x" onerror="parent.pwned=true"><script>parent.pwned=true</script><a href="javascript:parent.pwned=true">link</a>`;

export function installStub(options: StubOptions): void {
  let inboxTotal = options.inbox;
  const seen = new Set<number>();
  const flagged = new Set<number>();
  const calls: StubControl['calls'] = [];
  let hasAccount = options.account && !options.damaged;
  let damaged = options.damaged;

  const row = (uid: number, account = ALICE): MessageRowDto => ({
    account,
    folder: 'INBOX',
    uid,
    subject: `Message number ${uid}`,
    from: `Sender ${uid % 7}`,
    from_address: `sender${uid % 7}@tern.test`,
    date: 1_700_000_000 + uid * 60 + (account === BOB ? 30 : 0),
    seen: account === ALICE && seen.has(uid),
    flagged: flagged.has(uid),
    answered: false,
    attachments: uid % 10 === 0,
    labels: uid % 25 === 0 ? ['Work', 'Travel'] : [],
    preview: uid % 3 === 0 ? '' : `Hello, this is message ${uid}. ${'And it goes on. '.repeat(12)}`,
  });

  const BOB_INBOX = 3;
  const appState = (): AppStateDto => ({
    accounts: hasAccount
      ? [
          {
            account: { email: ALICE, name: 'Alice', imap_host: '127.0.0.1', imap_port: 143, security: 'plain', oauth2: false },
            snapshot: {
              account: ALICE,
              folders: [
                { name: 'INBOX', role: 'inbox', total: inboxTotal, unread: inboxTotal - seen.size },
                { name: 'Archive', role: 'archive', total: 0, unread: 0 },
                { name: 'Trash', role: 'trash', total: 0, unread: 0 },
              ],
              connectivity: options.connectivity,
              connectivity_reason: options.connectivity === 'offline' ? 'Connection refused' : null,
              pending: options.pending,
            },
            outbox: { waiting: 0, attention: 0 },
            can_send: true,
          },
          ...(options.second
            ? [
                {
                  account: { email: BOB, name: null, imap_host: '127.0.0.2', imap_port: 143, security: 'plain', oauth2: true },
                  snapshot: {
                    account: BOB,
                    folders: [{ name: 'INBOX', role: 'inbox', total: BOB_INBOX, unread: BOB_INBOX }],
                    connectivity: 'sign_in_needed' as const,
                    connectivity_reason: 'The sign-in was withdrawn',
                    pending: 0,
                  },
                  outbox: { waiting: 0, attention: 0 },
                  can_send: false,
                },
              ]
            : []),
        ]
      : [],
    settings: { notifications: true, close_to_tray: true, last_folder: null, last_account: null, last_unified: false, start_at_login: false, folder_pane: 0, list_pane: 0 },
    demo: null,
    startup_error: damaged
      ? { code: 'cache_damaged', message: 'The cache in /home/alice/.local/share/tern is damaged (database disk image is malformed); run `tern cache rebuild`' }
      : null,
  });

  mockIPC(
    (cmd, payload) => {
      const args = (payload ?? {}) as Record<string, unknown>;
      calls.push({ cmd, args });
      switch (cmd) {
        case 'app_state':
          return appState();
        case 'rebuild_cache':
          damaged = false;
          hasAccount = true;
          return 'Rebuilt the cache: kept 1 account, 2 queued changes, 1 message in the outbox and 0 drafts.';
        case 'provider':
          return String(args.email).endsWith('@gmail.com')
            ? {
                name: 'Gmail', imap_host: 'imap.gmail.com', imap_port: 993, security: 'tls', needs_app_password: true,
                smtp_host: 'smtp.gmail.com', smtp_port: 465, smtp_security: 'tls',
              }
            : null;
        case 'discover':
          return String(args.email).endsWith('@acme.test')
            ? {
                provider: 'Acme Mail', source: 'autoconfig https://autoconfig.acme.test/mail/config-v1.1.xml',
                trusted: true, imap_host: 'mail.acme.test', imap_port: 993, security: 'tls', username: 'someone',
                smtp_host: 'smtp.acme.test', smtp_port: 587, smtp_security: 'starttls', sign_in: 'password', ms: 120,
                oauth2_issuer: null, sign_in_note: null,
              }
            : null;
        case 'test_connection':
        case 'add_account':
          if ((args.input as { password: string }).password !== 'right') {
            throw { code: 'authentication', message: '[AUTHENTICATIONFAILED] Authentication failed.' };
          }
          if (cmd === 'add_account') hasAccount = true;
          return null;
        case 'messages': {
          const offset = Number(args.offset);
          const limit = Number(args.limit);
          const rows: MessageRowDto[] = [];
          const total = args.account === BOB ? BOB_INBOX : inboxTotal;
          if (args.folder === 'INBOX') {
            for (let i = offset; i < Math.min(total, offset + limit); i++) rows.push(row(total - i, String(args.account)));
          }
          return { folder: args.folder, total: args.folder === 'INBOX' ? total : 0, unread: 0, offset, rows };
        }
        case 'unified_messages': {
          // Both inboxes, newest first (Bob's are 30 s newer than Alice's of the same UID).
          const all: MessageRowDto[] = [];
          for (let uid = Math.max(inboxTotal, BOB_INBOX); uid >= 1; uid--) {
            if (uid <= BOB_INBOX) all.push(row(uid, BOB));
            if (uid <= inboxTotal) all.push(row(uid, ALICE));
          }
          const offset = Number(args.offset);
          return { folder: 'INBOX', total: all.length, unread: 0, offset, rows: all.slice(offset, offset + Number(args.limit)) };
        }
        case 'open_message': {
          const uid = Number(args.uid);
          const message: MessageDto = {
            account: String(args.account),
            folder: String(args.folder),
            uid,
            subject: `Message number ${uid}`,
            from: [{ name: `Sender ${uid % 7}`, address: `sender${uid % 7}@tern.test` }],
            to: [{ name: '', address: 'alice@tern.test' }],
            cc: [],
            date: 1_700_000_000 + uid * 60,
            html: options.remoteImage
              ? `<img src="${options.remoteImage}" alt="remote"><p>Image below</p>`
              : options.hostile
                ? HOSTILE
                : `<p>Body of message ${uid}</p>`,
            remote_blocked: options.hostile ? 2 : 0,
            remote_allowed: options.remoteAllowed,
            attachments: [],
            warnings: [],
            from_cache: true,
          };
          return message;
        }
        case 'act': {
          const action = args.action as { kind: string };
          for (const uid of args.uids as number[]) {
            if (action.kind === 'mark_read') seen.add(uid);
            if (action.kind === 'mark_unread') seen.delete(uid);
            if (action.kind === 'flag') flagged.add(uid);
            if (action.kind === 'unflag') flagged.delete(uid);
          }
          return { changed: args.uids, missing: [], target: null, pending: 0 };
        }
        case 'refresh':
          return { folder: args.folder, added: 0, removed: 0, flags_changed: 0 };
        case 'threads': {
          const hit = (uid: number) => ({ account: ALICE, folder: 'INBOX', message: row(uid) });
          return [
            { subject: 'Message number 3', unread: 3, latest: 1_700_000_000 + 3 * 60, messages: [hit(1), hit(2), hit(3)] },
            { subject: 'Message number 4', unread: 1, latest: 1_700_000_000, messages: [hit(4)] },
          ];
        }
        case 'search':
          return [{ account: ALICE, folder: 'INBOX', message: row(inboxTotal) }];
        case 'index_progress':
          return { indexed: inboxTotal, messages: inboxTotal };
        case 'compose': {
          const uid = Number(args.uid);
          if (args.kind === 'new') {
            return { account: args.account, to: '', cc: '', bcc: '', subject: '', text: '', in_reply_to: null, references: [], attachments: [], with_html: false };
          }
          return {
            account: args.account,
            to: args.kind === 'forward' ? '' : `Sender ${uid % 7} <sender${uid % 7}@tern.test>`,
            cc: args.kind === 'reply_all' ? 'carol@tern.test' : '',
            bcc: '',
            subject: `${args.kind === 'forward' ? 'Fwd' : 'Re'}: Message number ${uid}`,
            text: `\n\nOn a day, Sender ${uid % 7} wrote:\n> Body of message ${uid}\n`,
            in_reply_to: `${uid}@tern.test`,
            references: [`${uid}@tern.test`],
            attachments: [],
            with_html: false,
          };
        }
        case 'suggest_addresses':
          return String(args.prefix).startsWith('bo') ? [{ name: 'Bob Builder', address: 'bob@tern.test' }] : [];
        case 'outbox':
          return [
            {
              account: ALICE, id: 3, subject: 'To nobody', recipients: ['nobody@tern.test'], state: 'failed', attempts: 1,
              last_error: '550 5.1.1 <nobody@tern.test>: Recipient address rejected: User unknown',
              created_at: 1_700_000_000, sent_at: null,
            },
          ];
        case 'edit_outgoing':
          return {
            id: 9,
            draft: { account: ALICE, to: 'nobody@tern.test', cc: '', bcc: '', subject: 'To nobody', text: 'Hello?', in_reply_to: null, references: [], attachments: [], with_html: false },
          };
        case 'save_draft':
          return args.id ?? 7;
        case 'discard_draft':
          return null;
        case 'account_settings':
          return {
            email: args.account, name: 'Alice', signature: '', imap_host: '127.0.0.1', imap_port: 143, security: 'plain',
            username: 'alice', smtp_host: '127.0.0.1', smtp_port: 587, smtp_security: 'plain', oauth2: false, sign_in_needed: false, max_connections: 4, offline_bodies: 'days:30', offline_max_mib: 5,
          };
        case 'update_account':
          return null;
        case 'remove_account':
          if (!args.force) {
            throw {
              code: 'changes_waiting',
              message: `${args.account} has 2 changes not yet on the server and 1 draft that exist only on this computer; removing the account loses them.`,
            };
          }
          return `${args.account} was removed from this computer, with 2 changes not yet on the server and 1 draft.`;
        case 'send_message': {
          const draft = args.draft as { to: string; cc: string; bcc: string };
          if (!draft.to && !draft.cc && !draft.bcc) throw { code: 'invalid', message: 'Add a recipient' };
          return { id: 1, message_id: 'm1@tern.test' };
        }
        default:
          return null;
      }
    },
    { shouldMockEvents: true },
  );

  window.tern = {
    calls,
    emit: (event) => emit('engine', event),
    addMessages: (count) => {
      inboxTotal += count;
    },
  };
}
