import { describe, expect, it } from 'vitest';
import { dragged, FOLDER_DEFAULT, LIST_DEFAULT, paneWidths } from '../../src/lib/state/panes';

describe('pane widths', () => {
  it('start at the defaults and keep what was dragged', () => {
    expect(paneWidths({ folder: 0, list: 0 }, 1400)).toEqual({ folder: FOLDER_DEFAULT, list: LIST_DEFAULT });
    expect(paneWidths({ folder: 300, list: 500 }, 1400)).toEqual({ folder: 300, list: 500 });
  });

  it('never crowd out the reading pane or shrink below use', () => {
    expect(paneWidths({ folder: 10, list: 10 }, 1400)).toEqual({ folder: 140, list: 260 });
    // A wide list in a narrow window leaves the reader its room.
    expect(paneWidths({ folder: 220, list: 900 }, 1000)).toEqual({ folder: 220, list: 460 });
    // The folder pane takes at most a third.
    expect(paneWidths({ folder: 800, list: 0 }, 1200).folder).toBe(400);
    // A window too small for all: the minimums hold.
    expect(paneWidths({ folder: 220, list: 380 }, 500)).toEqual({ folder: 167, list: 260 });
  });

  it('follow a drag within the same limits', () => {
    const start = { folder: 220, list: 380 };
    expect(dragged(start, 'list', 50, 1400)).toEqual({ folder: 220, list: 430 });
    expect(dragged(start, 'folder', -500, 1400)).toEqual({ folder: 140, list: 380 });
  });
});
