// The only module that talks to the Tauri backend (invoke/listen). Every command and event
// is typed with the types generated from the Rust DTOs (./bindings, written by ts-rs).
import { invoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import type { AccountInput } from './bindings/AccountInput';
import type { ActionInput } from './bindings/ActionInput';
import type { ActionResultDto } from './bindings/ActionResultDto';
import type { AppEvent } from './bindings/AppEvent';
import type { AppStateDto } from './bindings/AppStateDto';
import type { ConversationDto } from './bindings/ConversationDto';
import type { IpcError } from './bindings/IpcError';
import type { MessageDto } from './bindings/MessageDto';
import type { MessagePageDto } from './bindings/MessagePageDto';
import type { ProviderDto } from './bindings/ProviderDto';
import type { DiscoveredDto } from './bindings/DiscoveredDto';
import type { SearchHitDto } from './bindings/SearchHitDto';
import type { IndexProgressDto } from './bindings/IndexProgressDto';
import type { SettingsDto } from './bindings/SettingsDto';
import type { SyncResultDto } from './bindings/SyncResultDto';
import type { AddressDto } from './bindings/AddressDto';
import type { ComposeKind } from './bindings/ComposeKind';
import type { DraftDto } from './bindings/DraftDto';
import type { DraftAttachmentDto } from './bindings/DraftAttachmentDto';
import type { OutboxEntryDto } from './bindings/OutboxEntryDto';
import type { QueuedDto } from './bindings/QueuedDto';
import type { OpenedDraftDto } from './bindings/OpenedDraftDto';
import type { AccountSettingsDto } from './bindings/AccountSettingsDto';
import type { AccountEditDto } from './bindings/AccountEditDto';

export type {
  AccountInput,
  ActionInput,
  ActionResultDto,
  AppEvent,
  AppStateDto,
  ConversationDto,
  IpcError,
  MessageDto,
  MessagePageDto,
  ProviderDto,
  DiscoveredDto,
  SearchHitDto,
  IndexProgressDto,
  SettingsDto,
  SyncResultDto,
  AddressDto,
  ComposeKind,
  DraftDto,
  DraftAttachmentDto,
  OutboxEntryDto,
  QueuedDto,
  OpenedDraftDto,
  AccountSettingsDto,
  AccountEditDto,
};
export type { MessageRowDto } from './bindings/MessageRowDto';
export type { FolderDto } from './bindings/FolderDto';
export type { Connectivity } from './bindings/Connectivity';
export type { SnapshotDto } from './bindings/SnapshotDto';
export type { AccountStateDto } from './bindings/AccountStateDto';
export type { AccountDto } from './bindings/AccountDto';
export type { SecurityDto } from './bindings/SecurityDto';

/** The Tauri event that carries engine events. */
export const ENGINE_EVENT = 'engine';

/** Any rejection as an IpcError (the backend sends `{code, message}`). */
export function asIpcError(error: unknown): IpcError {
  if (error && typeof error === 'object' && 'code' in error && 'message' in error) {
    return error as IpcError;
  }
  return { code: 'other', message: String(error) };
}

/** Told of every error that says the cache itself is damaged, whichever command met it. */
let onCacheDamaged: ((error: IpcError) => void) | null = null;

export function whenCacheDamaged(handler: (error: IpcError) => void): void {
  onCacheDamaged = handler;
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (error) {
    const failure = asIpcError(error);
    if (failure.code === 'cache_damaged') onCacheDamaged?.(failure);
    throw failure;
  }
}

export const ipc = {
  appState: () => call<AppStateDto>('app_state'),
  provider: (email: string) => call<ProviderDto | null>('provider', { email }),
  /** Finds the servers of an address (autoconfig, MX, SRV, guesses; ~3 s at most); sends no password. */
  discover: (email: string) => call<DiscoveredDto | null>('discover', { email }),
  testConnection: (input: AccountInput) => call<null>('test_connection', { input }),
  addAccount: (input: AccountInput) => call<null>('add_account', { input }),
  useDemo: () => call<null>('use_demo'),
  /** Rebuilds a damaged cache from the server (keeping what only exists here); says what was kept. */
  rebuildCache: () => call<string>('rebuild_cache'),
  messages: (account: string, folder: string, offset: number, limit: number) =>
    call<MessagePageDto>('messages', { account, folder, offset, limit }),
  /** Rows of the unified inbox (every account's INBOX, newest first); rows name their account. */
  unifiedMessages: (offset: number, limit: number) => call<MessagePageDto>('unified_messages', { offset, limit }),
  openMessage: (account: string, folder: string, uid: number, allowRemote: boolean) =>
    call<MessageDto>('open_message', { account, folder, uid, allowRemote }),
  act: (account: string, folder: string, uids: number[], action: ActionInput) =>
    call<ActionResultDto>('act', { account, folder, uids, action }),
  /** Checks a folder now; without an account, every account's INBOX. */
  refresh: (account: string | null, folder: string) => call<SyncResultDto>('refresh', { account, folder }),
  search: (query: string, limit: number) => call<SearchHitDto[]>('search', { query, limit }),
  /** How far the search index is behind the cache (a search answers from what is indexed). */
  indexProgress: () => call<IndexProgressDto>('index_progress', {}),
  threads: (account: string, folder: string, limit: number) =>
    call<ConversationDto[]>('threads', { account, folder, limit }),
  saveAttachment: (account: string, folder: string, uid: number, index: number, name: string) =>
    call<string>('save_attachment', { account, folder, uid, index, name }),
  allowRemoteFrom: (account: string, sender: string, allowed: boolean) =>
    call<null>('allow_remote_from', { account, sender, allowed }),
  setSettings: (settings: SettingsDto) => call<null>('set_settings', { settings }),
  /** Whether the desktop hands `mailto:` links to Tern. */
  mailHandler: () => call<boolean>('mail_handler'),
  /** Makes Tern the desktop's mail app (xdg-mime); what the desktop answers. */
  makeDefaultMailApp: () => call<string>('make_default_mail_app'),
  /** The window shows `folder` of `account`, or (no account) the unified inbox. */
  showFolder: (account: string | null, folder: string) => call<null>('show_folder', { account, folder }),
  compose: (account: string, kind: ComposeKind, folder: string | null, uid: number | null) =>
    call<DraftDto>('compose', { account, kind, folder, uid }),
  /** The `mailto:` link Tern was started for, as a new message from `account` (once). */
  takeMailto: (account: string) => call<DraftDto | null>('take_mailto', { account }),
  sendMessage: (draft: DraftDto, draftId: number | null) => call<QueuedDto>('send_message', { draft, draftId }),
  saveDraft: (id: number | null, draft: DraftDto) => call<number>('save_draft', { id, draft }),
  discardDraft: (account: string, id: number) => call<null>('discard_draft', { account, id }),
  openDraft: (account: string, folder: string, uid: number) =>
    call<OpenedDraftDto>('open_draft', { account, folder, uid }),
  editOutgoing: (account: string, id: number) => call<OpenedDraftDto>('edit_outgoing', { account, id }),
  outbox: () => call<OutboxEntryDto[]>('outbox'),
  retryOutgoing: (account: string, id: number) => call<null>('retry_outgoing', { account, id }),
  discardOutgoing: (account: string, id: number) => call<null>('discard_outgoing', { account, id }),
  suggestAddresses: (account: string, prefix: string) =>
    call<AddressDto[]>('suggest_addresses', { account, prefix }),
  accountSettings: (account: string) => call<AccountSettingsDto>('account_settings', { account }),
  updateAccount: (account: string, edit: AccountEditDto) => call<null>('update_account', { account, edit }),
  /** Removes an account; refused with `changes_waiting` (naming them) unless `force`. */
  removeAccount: (account: string, force: boolean) => call<string>('remove_account', { account, force }),
  /** Signs an OAuth2 account in again in the browser. */
  signIn: (account: string) => call<null>('sign_in', { account }),
  /** Tells the backend something was painted (logged with the time, for benchmarks). */
  painted: (what: 'first_rows' | 'new_rows' | 'setup', rows: number, marks?: string) =>
    call<null>('painted', { what, rows, marks: marks ?? null }),
};

export type Ipc = typeof ipc;

/** Calls `handler` with every engine event from now on (earlier ones are lost: load state first). */
export function onEngineEvent(handler: (event: AppEvent) => void): Promise<UnlistenFn> {
  return listen<AppEvent>(ENGINE_EVENT, (event) => handler(event.payload));
}
