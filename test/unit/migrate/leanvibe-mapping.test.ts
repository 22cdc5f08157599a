import { describe, expect, it } from 'vitest';
import { mapStatus, normalizeTime, sanitizeName, snapshotType, uniqueName, withWorktree } from '../../../electron/core/migrate/leanvibe-mapping.js';
import { AGENT_NAME_PATTERN } from '../../../shared/names.js';

describe('LeanVibe → Agent Hive mapping', () => {
  it('maps every old status to a state without a live process', () => {
    expect(mapStatus('running')).toMatchObject({ status: 'stopped', cause: 'migrated: was running in the old system, not started here' });
    expect(mapStatus('sleeping').status).toBe('sleeping');
    expect(mapStatus('crashed').status).toBe('crashed');
    expect(mapStatus('recovering')).toMatchObject({ status: 'crashed', lastError: expect.stringMatching(/recovering/) });
    expect(mapStatus('terminated').status).toBe('stopped');
    expect(mapStatus('completed').status).toBe('stopped');
    expect(mapStatus('weird').cause).toMatch(/"weird"/);
    expect(mapStatus(null).status).toBe('stopped');
  });

  it('stops an agent whose worktree is missing and says why', () => {
    const m = withWorktree(mapStatus('sleeping'), '/x/wt', false);
    expect(m).toMatchObject({ status: 'stopped', lastError: 'migrated: its old worktree /x/wt does not exist; recreate it or spawn a new agent' });
    expect(withWorktree(mapStatus('sleeping'), '/x/wt', true).status).toBe('sleeping');
  });

  it('keeps valid names and sanitizes the rest deterministically', () => {
    expect(sanitizeName('frontend-Jul-16-0208')).toBe('frontend-Jul-16-0208');
    const a = sanitizeName('a b/c');
    expect(a).toMatch(/^a-b-c-[0-9a-f]{8}$/);
    expect(sanitizeName('a b/c')).toBe(a);
    expect(sanitizeName('a b?c')).not.toBe(a);
    for (const odd of ['', '---', 'é'.repeat(100), '$(rm -rf ~)', 'x'.repeat(65), '\n']) expect(sanitizeName(odd)).toMatch(AGENT_NAME_PATTERN);
    expect(uniqueName('a', (n) => n === 'a' || n === 'a-2')).toBe('a-3');
  });

  it('reads zone-less old timestamps as UTC and keeps snapshot types', () => {
    expect(normalizeTime('2025-07-18T10:12:44', 'F')).toBe('2025-07-18T10:12:44.000Z');
    expect(normalizeTime('2025-07-16T02:08:47.139418', 'F')).toBe('2025-07-16T02:08:47.139Z');
    expect(normalizeTime('2025-07-18T10:12:44+02:00', 'F')).toBe('2025-07-18T08:12:44.000Z');
    expect(normalizeTime('garbage', 'F')).toBe('F');
    expect(normalizeTime(null, 'F')).toBe('F');
    expect(['sleep', 'checkpoint', 'crash', 'other', null].map(snapshotType)).toEqual(['sleep', 'checkpoint', 'crash', 'migrated', 'migrated']);
  });
});
