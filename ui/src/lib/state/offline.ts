// The offline policy as the account form shows it: which bodies are kept for reading
// offline — none, the last N days of every folder, or all — written as the backend and the
// CLI write it (`none`, `days:N`, `all`).

export type OfflinePolicy = { kind: 'none' } | { kind: 'days'; days: number } | { kind: 'all' };

/** Reads `none`, `all` or `days:N`; anything else is the default, the last 90 days. */
export function parseOfflinePolicy(text: string): OfflinePolicy {
  const trimmed = text.trim().toLowerCase();
  if (trimmed === 'none') return { kind: 'none' };
  if (trimmed === 'all') return { kind: 'all' };
  const days = /^days:(\d{1,5})$/.exec(trimmed);
  if (days) {
    const count = Number(days[1]);
    if (count === 0) return { kind: 'none' };
    if (count <= 36_500) return { kind: 'days', days: count };
  }
  return { kind: 'days', days: 90 };
}

/** The policy the form shows, written for the backend (days kept within 1–36,500). */
export function offlinePolicyText(kind: OfflinePolicy['kind'], days: number): string {
  if (kind !== 'days') return kind;
  const whole = Number.isFinite(days) ? Math.round(days) : 90;
  return `days:${Math.min(36_500, Math.max(1, whole))}`;
}
