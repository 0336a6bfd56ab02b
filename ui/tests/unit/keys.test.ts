import { describe, expect, it } from 'vitest';
import { commandFor, SHORTCUTS } from '../../src/lib/state/keys';
import { frameDocument } from '../../src/lib/state/frame';

describe('commandFor', () => {
  it('maps the documented keys', () => {
    expect(commandFor({ key: 'j' })).toBe('next');
    expect(commandFor({ key: 'k' })).toBe('previous');
    expect(commandFor({ key: 'Enter' })).toBe('open');
    expect(commandFor({ key: 'u' })).toBe('toggle_read');
    expect(commandFor({ key: 's' })).toBe('toggle_flag');
    expect(commandFor({ key: 'e' })).toBe('archive');
    expect(commandFor({ key: '#' })).toBe('delete');
    expect(commandFor({ key: '/' })).toBe('search');
    expect(commandFor({ key: 'r' })).toBe('refresh');
    expect(commandFor({ key: '?' })).toBe('help');
  });

  it('leaves typing and browser shortcuts alone', () => {
    expect(commandFor({ key: 'j', inField: true })).toBeNull();
    expect(commandFor({ key: 'Escape', inField: true })).toBe('escape');
    expect(commandFor({ key: 'r', ctrlKey: true })).toBeNull();
    expect(commandFor({ key: 'x' })).toBeNull();
  });

  it('has one help line per key', () => {
    const keys = SHORTCUTS.map((shortcut) => shortcut.key);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('frameDocument', () => {
  it('forbids scripts inside the message frame', () => {
    const doc = frameDocument('<p>hi</p>');
    expect(doc).toContain("script-src 'none'");
    expect(doc).toContain("default-src 'none'");
    expect(doc).toContain('<p>hi</p>');
  });

  it('lets remote images load only when the person allowed them', () => {
    const blocked = frameDocument('<p>hi</p>');
    expect(blocked).toContain("img-src data:;");
    expect(blocked).not.toMatch(/img-src[^;]*http/);
    const allowed = frameDocument('<p>hi</p>', true);
    expect(allowed).toContain('img-src data: https: http:;');
  });
});
