// Compose-form logic without the DOM: which address is being typed (for completion), putting
// a chosen suggestion in its place, and readable attachment sizes.
import type { AddressDto } from '../ipc';
import { fileSize } from './format';

/** The address being typed at the end of a To/Cc/Bcc field (after the last comma). */
export function currentToken(field: string): string {
  const parts = field.split(/[,;]/);
  return (parts[parts.length - 1] ?? '').trim();
}

/** The field with its last (partial) address replaced by `chosen`, ready for the next one. */
export function completeWith(field: string, chosen: AddressDto): string {
  const cut = Math.max(field.lastIndexOf(','), field.lastIndexOf(';'));
  const before = cut >= 0 ? `${field.slice(0, cut + 1).trimEnd()} ` : '';
  const text = chosen.name ? `${chosen.name} <${chosen.address}>` : chosen.address;
  return `${before}${text}, `;
}

/** "3 attachments, 1.2 MB". */
export function attachmentSummary(sizes: number[]): string {
  if (sizes.length === 0) return '';
  const total = sizes.reduce((sum, size) => sum + size, 0);
  return `${sizes.length} ${sizes.length === 1 ? 'attachment' : 'attachments'}, ${fileSize(total)}`;
}

/** Base64 of a file's bytes (what the backend takes). */
export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return btoa(binary);
}
