// How dates, sizes and senders read in the list and the reading pane.

// Intl formatters are built once: building one per call (what toLocale*String does) costs
// about a millisecond each in WebKit, which made the first screen of rows ~200 ms slower.
const formats = {
  time: new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' }),
  weekday: new Intl.DateTimeFormat(undefined, { weekday: 'short' }),
  dayMonth: new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' }),
  dayMonthYear: new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric' }),
  full: new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'short' }),
};

/** "14:05" today, "Mon 14:05" this week, "3 Mar" this year, "3 Mar 2023" before. */
export function shortDate(unixSeconds: number, now: Date = new Date()): string {
  const date = new Date(unixSeconds * 1000);
  const time = formats.time.format(date);
  const sameDay = date.toDateString() === now.toDateString();
  if (sameDay) return time;
  const ageDays = (now.getTime() - date.getTime()) / 86_400_000;
  if (ageDays >= 0 && ageDays < 6) {
    return `${formats.weekday.format(date)} ${time}`;
  }
  if (date.getFullYear() === now.getFullYear()) {
    return formats.dayMonth.format(date);
  }
  return formats.dayMonthYear.format(date);
}

export function fullDate(unixSeconds: number | null): string {
  if (unixSeconds === null) return '';
  return formats.full.format(new Date(unixSeconds * 1000));
}

export function fileSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function person(name: string, address: string): string {
  return name.trim() || address;
}

/** The time left of a long task in words ("about 3 min left"); empty without an estimate. */
export function timeLeft(ms: number | null): string {
  if (ms === null) return '';
  if (ms >= 60_000) return `about ${Math.ceil(ms / 60_000)} min left`;
  return `about ${Math.max(1, Math.ceil(ms / 1000))} s left`;
}
