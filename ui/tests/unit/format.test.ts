import { describe, expect, it } from 'vitest';
import { avatarHue, initials, shortDate } from '../../src/lib/state/format';

const at = (text: string) => new Date(text).getTime() / 1000;
/** In British English: "3 Mar" (the person's own locale decides in the app). */
const day = (seconds: number, now: Date) => shortDate(seconds, now, 'en-GB');

describe('dates in the list', () => {
  const now = new Date('2026-03-10T00:10:00'); // a Tuesday, just after midnight

  it('says the time today, the weekday this week, the day this year, and the year before', () => {
    expect(day(at('2026-03-10T00:05:00'), now)).toMatch(/00:05|12:05/);
    // Last night, twenty minutes ago: yesterday, by the calendar.
    expect(day(at('2026-03-09T23:50:00'), now)).toBe('Mon');
    expect(day(at('2026-03-04T09:00:00'), now)).toBe('Wed');
    // Seven days back is last week's Tuesday: the date, not "Tue".
    expect(day(at('2026-03-03T09:00:00'), now)).toBe('3 Mar');
    expect(day(at('2026-01-01T09:00:00'), now)).toBe('1 Jan');
    // Across the year's end.
    expect(day(at('2025-12-31T23:00:00'), new Date('2026-01-01T08:00:00'))).toBe('Wed');
    expect(day(at('2025-12-20T10:00:00'), new Date('2026-01-01T08:00:00'))).toBe('20 Dec 2025');
    // A date in the future (a sender's wrong clock) is a date, never a weekday.
    expect(day(at('2026-03-12T10:00:00'), now)).toBe('12 Mar');
  });
});

describe('the sender circle', () => {
  it('takes the initials of the name, else the address', () => {
    expect(initials('Ann Lee', 'ann@x')).toBe('AL');
    expect(initials('"Lee, Ann" (Sales)', 'ann@x')).toBe('LS');
    expect(initials('jürgen', 'j@x')).toBe('J');
    expect(initials('Élodie Martin-Duval', 'e@x')).toBe('ÉM');
    expect(initials('', 'bob@x')).toBe('B');
    expect(initials('  ', '')).toBe('?');
    expect(initials('😀 Fun', 'f@x')).toBe('F');
  });

  it('colors an address the same every time, and different addresses differently', () => {
    expect(avatarHue('Ann@X.test')).toBe(avatarHue('ann@x.test'));
    const hues = new Set(['a@x', 'b@x', 'c@x', 'd@x', 'e@x', 'f@x'].map(avatarHue));
    expect(hues.size).toBeGreaterThan(4);
    for (const hue of hues) expect(hue).toBeGreaterThanOrEqual(0);
  });
});
