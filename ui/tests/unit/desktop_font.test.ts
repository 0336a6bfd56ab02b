import { describe, expect, it } from 'vitest';
import { applyDesktopFont, desktopFontValue } from '../../src/lib/state/desktop_font';

describe('the desktop font', () => {
  it('is used by name only when it is a plain family name', () => {
    const cases: [unknown, string | null][] = [
      ['Cantarell', '"Cantarell"'],
      ['sans-serif', 'sans-serif'],
      ['monospace', 'monospace'],
      [' Noto Sans ', '"Noto Sans"'],
      ['文泉驿正黑', '"文泉驿正黑"'],
      ['', null],
      [undefined, null],
      [42, null],
      ['Evil"; } body { display: none', null],
      ['x'.repeat(65), null],
    ];
    for (const [family, value] of cases) expect(desktopFontValue(family), String(family)).toBe(value);
  });

  it('sets --desktop-font, or nothing (the CSS falls back to system-ui)', () => {
    const set: [string, string][] = [];
    const root = { style: { setProperty: (name: string, value: string) => void set.push([name, value]) } };
    applyDesktopFont('Cantarell', root);
    applyDesktopFont(undefined, root);
    expect(set).toEqual([['--desktop-font', '"Cantarell"']]);
  });
});
