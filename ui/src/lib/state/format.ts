// How dates, sizes and senders read in the list and the reading pane.

// Intl formatters are built once: building one per call (what toLocale*String does) costs
// about a millisecond each in WebKit, which made the first screen of rows ~200 ms slower.
function formatsFor(locale: string | undefined) {
  return {
    time: new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit' }),
    weekday: new Intl.DateTimeFormat(locale, { weekday: 'short' }),
    dayMonth: new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'short' }),
    dayMonthYear: new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'short', year: 'numeric' }),
    full: new Intl.DateTimeFormat(locale, { dateStyle: 'full', timeStyle: 'short' }),
  };
}

/** The person's locale's formats (`undefined`: the system's), built once each. */
const byLocale = new Map<string | undefined, ReturnType<typeof formatsFor>>();
function formatsOf(locale?: string) {
  let found = byLocale.get(locale);
  if (!found) {
    found = formatsFor(locale);
    byLocale.set(locale, found);
  }
  return found;
}

/** "14:05" today, "Tue" in the six days before, "3 Mar" earlier this year, "3 Mar 2023"
 *  before; days are the calendar's (just after midnight, last night's mail says its weekday). */
export function shortDate(unixSeconds: number, now: Date = new Date(), locale?: string): string {
  const formats = formatsOf(locale);
  const date = new Date(unixSeconds * 1000);
  const days = calendarDaysBetween(date, now);
  if (days === 0) return formats.time.format(date);
  if (days > 0 && days < 7) return formats.weekday.format(date);
  if (date.getFullYear() === now.getFullYear()) return formats.dayMonth.format(date);
  return formats.dayMonthYear.format(date);
}

/** Whole calendar days from `earlier` to `later` in local time (negative: `earlier` is later). */
function calendarDaysBetween(earlier: Date, later: Date): number {
  const start = new Date(earlier.getFullYear(), earlier.getMonth(), earlier.getDate());
  const end = new Date(later.getFullYear(), later.getMonth(), later.getDate());
  // Rounded: a day with a daylight-saving change is 23 or 25 hours long.
  return Math.round((end.getTime() - start.getTime()) / 86_400_000);
}

export function fullDate(unixSeconds: number | null): string {
  if (unixSeconds === null) return '';
  return formatsOf().full.format(new Date(unixSeconds * 1000));
}

export function fileSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function person(name: string, address: string): string {
  return name.trim() || address;
}

/** The sender's circle: the first letters of the name's first and last words ("Ann Lee" ->
 *  "AL"), else the address's first letter; "?" with neither. */
export function initials(name: string, address: string): string {
  const words = name
    .replace(/["'()<>]/g, ' ')
    .split(/[\s,]+/)
    .filter((word) => /\p{L}|\p{N}/u.test(word));
  const first = (word: string | undefined) => (word ? [...word.replace(/^[^\p{L}\p{N}]+/u, '')][0] ?? '' : '');
  if (words.length > 0) {
    const letters = first(words[0]) + (words.length > 1 ? first(words[words.length - 1]) : '');
    if (letters) return letters.toLocaleUpperCase();
  }
  return (first(address.trim()) || '?').toLocaleUpperCase();
}

/** The circle's hue (0-359), the same for an address every time and spread over the wheel. */
export function avatarHue(address: string): number {
  let hash = 2166136261;
  for (const char of address.trim().toLowerCase()) {
    hash ^= char.codePointAt(0) ?? 0;
    hash = Math.imul(hash, 16777619);
  }
  return (hash >>> 0) % 360;
}

/** The time left of a long task in words ("about 3 min left"); empty without an estimate. */
export function timeLeft(ms: number | null): string {
  if (ms === null) return '';
  if (ms >= 60_000) return `about ${Math.ceil(ms / 60_000)} min left`;
  return `about ${Math.max(1, Math.ceil(ms / 1000))} s left`;
}
