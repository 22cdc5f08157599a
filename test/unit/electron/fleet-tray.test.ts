import { describe, expect, it, vi } from 'vitest';
import { fleetSummary } from '../../../electron/main/fleet-tray.js';

vi.mock('electron', () => ({}));

describe('tray fleet summary', () => {
  it('counts agents per state in lifecycle order', () => {
    const s = fleetSummary([{ status: 'crashed' }, { status: 'running' }, { status: 'running' }, { status: 'sleeping' }]);
    expect(s.text).toBe('2 running · 1 sleeping · 1 crashed');
    expect(s.counts).toEqual({ running: 2, sleeping: 1, crashed: 1 });
    expect(fleetSummary([]).text).toBe('no agents');
  });
});
