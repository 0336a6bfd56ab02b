import { describe, expect, it } from 'vitest';
import { offlinePolicyText, parseOfflinePolicy } from '../../src/lib/state/offline';

describe('the offline policy in the account form', () => {
  it('reads what the backend writes, and falls back to the last 90 days', () => {
    const table: [string, ReturnType<typeof parseOfflinePolicy>][] = [
      ['none', { kind: 'none' }],
      ['all', { kind: 'all' }],
      [' ALL ', { kind: 'all' }],
      ['days:30', { kind: 'days', days: 30 }],
      ['days:0', { kind: 'none' }],
      ['days:36500', { kind: 'days', days: 36_500 }],
      ['days:36501', { kind: 'days', days: 90 }],
      ['days:-1', { kind: 'days', days: 90 }],
      ['sometimes', { kind: 'days', days: 90 }],
      ['', { kind: 'days', days: 90 }],
    ];
    for (const [text, policy] of table) expect(parseOfflinePolicy(text), text).toEqual(policy);
  });

  it('writes what the backend reads, days kept in range', () => {
    expect(offlinePolicyText('none', 5)).toBe('none');
    expect(offlinePolicyText('all', 5)).toBe('all');
    expect(offlinePolicyText('days', 30)).toBe('days:30');
    expect(offlinePolicyText('days', 0)).toBe('days:1');
    expect(offlinePolicyText('days', 99_999)).toBe('days:36500');
    expect(offlinePolicyText('days', 12.6)).toBe('days:13');
    expect(offlinePolicyText('days', Number.NaN)).toBe('days:90');
  });
});
