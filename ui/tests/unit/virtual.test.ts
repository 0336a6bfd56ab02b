import { describe, expect, it } from 'vitest';
import { scrollToShow, visibleWindow } from '../../src/lib/state/virtual';

describe('visibleWindow', () => {
  it('renders only the rows on screen plus overscan, even for 100k rows', () => {
    const win = visibleWindow(56 * 50_000, 560, 56, 100_000, 8);
    expect(win.start).toBe(50_000 - 8);
    expect(win.end).toBe(50_000 + 11 + 8);
    expect(win.end - win.start).toBeLessThan(40);
    expect(win.offsetY).toBe(win.start * 56);
    expect(win.height).toBe(5_600_000);
  });

  it('clamps at both ends', () => {
    expect(visibleWindow(-100, 560, 56, 100).start).toBe(0);
    const bottom = visibleWindow(1e9, 560, 56, 100, 8);
    expect(bottom.end).toBe(100);
    expect(bottom.start).toBe(100 - 10 - 8);
  });

  it('is empty for an empty folder', () => {
    expect(visibleWindow(0, 560, 56, 0)).toEqual({ start: 0, end: 0, offsetY: 0, height: 0 });
  });
});

describe('scrollToShow', () => {
  it('scrolls only as far as needed', () => {
    expect(scrollToShow(5, 0, 560, 56)).toBe(0);
    expect(scrollToShow(10, 0, 560, 56)).toBe(11 * 56 - 560);
    expect(scrollToShow(2, 560, 560, 56)).toBe(112);
  });
});
