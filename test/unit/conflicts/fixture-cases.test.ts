import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Resolver } from '../../../electron/core/conflicts/resolver.js';

const root = path.resolve(__dirname, '../../fixtures/conflicts');
const resolver = new Resolver();
// The replay's resolver: also runs the strategies whose answers are withheld, to see which one answered.
const measuring = new Resolver({ measureWithheld: true });
afterAll(() => {
  resolver.dispose();
  measuring.dispose();
});

interface CaseMeta {
  path: string;
  /** proposed: every hunk answered and the gate passed, but by a strategy in the proposal tier. */
  outcome: 'resolved' | 'proposed' | 'escalated' | 'clean';
  strategy?: string;
  /** The strategy's situation (strategy-tiers.ts), when the case pins it. */
  situation?: string;
  reason?: string;
  /** A withheld answer exists: this strategy answered (measured by the replay's resolver), and was not used. */
  wasResolvedBy?: string;
}

function read(dir: string, side: string): string | null {
  const f = path.join(dir, side);
  return existsSync(f) ? readFileSync(f, 'utf8') : null;
}

const cases = readdirSync(root).sort();

describe('hand-written conflict cases (test/fixtures/conflicts/<case>/base|ours|theirs|expected)', () => {
  it('has many cases, a third of them must-escalate', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
    expect(cases.filter((c) => c.startsWith('esc-')).length).toBeGreaterThanOrEqual(12);
  });

  for (const name of cases) {
    it(name, async () => {
      const dir = path.join(root, name);
      const meta = JSON.parse(readFileSync(path.join(dir, 'case.json'), 'utf8')) as CaseMeta;
      const r = await resolver.resolveFile({ path: meta.path, base: read(dir, 'base'), ours: read(dir, 'ours'), theirs: read(dir, 'theirs') });
      // The replay's resolver (which also runs what a merge skips) decides the same.
      const m = await measuring.resolveFile({ path: meta.path, base: read(dir, 'base'), ours: read(dir, 'ours'), theirs: read(dir, 'theirs') });
      expect([m.status, m.tier, m.merged, m.proposal]).toEqual([r.status, r.tier, r.merged, r.proposal]);
      const detail = `${r.status}: ${r.reason}\n${r.hunks.map((h) => JSON.stringify(h.attempts)).join('\n')}\n${r.merged ?? r.withMarkers}`;
      expect(r.status, detail).toBe(meta.outcome === 'proposed' ? 'escalated' : meta.outcome);
      if (meta.outcome === 'proposed') {
        // Never applied: the answer waits in the queue as a proposal with its strategy and precision.
        expect(r.merged).toBeNull();
        expect(r.tier, detail).toBe('proposed');
        expect(r.proposal, detail).toBe(read(dir, 'expected'));
        if (meta.strategy) expect(r.hunks.map((h) => h.strategy)).toContain(meta.strategy);
        if (meta.situation) expect(r.hunks.map((h) => h.situation)).toContain(meta.situation);
        return;
      }
      if (meta.outcome === 'escalated') {
        expect(r.merged).toBeNull();
        if (meta.reason) expect(r.reason).toContain(meta.reason);
        if (meta.wasResolvedBy) {
          const m = await measuring.resolveFile({ path: meta.path, base: read(dir, 'base'), ours: read(dir, 'ours'), theirs: read(dir, 'theirs') });
          expect(m.status).toBe('escalated');
          expect(m.hunks.map((h) => h.withheld?.strategy)).toContain(meta.wasResolvedBy);
        }
        return;
      }
      expect(r.merged, detail).toBe(read(dir, 'expected'));
      if (meta.strategy) {
        expect(r.hunks.map((h) => h.strategy)).toContain(meta.strategy);
        expect(r.hunks.every((h) => h.reason.length > 0)).toBe(true);
      }
      if (meta.outcome === 'resolved') {
        expect(r.gate).toContain('no conflict markers');
        expect(r.tier).toBe('applied');
      }
    });
  }
});

describe('strategies whose every answer would be withheld', () => {
  const input = { path: 'src/a.py', base: 'x = 1\ny = 2\n', ours: 'x = 1\nw = 5\ny = 2\n', theirs: 'x = 1\ny = 3\n' };

  it('are not run by a merge (their answer would be thrown away), and its attempts say so', async () => {
    const r = await resolver.resolveFile(input);
    expect(r.status).toBe('escalated');
    const attempt = r.hunks[0]!.attempts.find((a) => a.strategy === 'adjacent-edits');
    expect(attempt).toEqual({ strategy: 'adjacent-edits', result: 'not-applicable', reason: 'not tried: its answers here are withheld as too often wrong' });
    expect(r.hunks[0]!.reason).toBe('no strategy could prove a safe resolution');
    // Not a JSON file: json-keys has no answer here at all, so it is not "withheld" either.
    expect(r.hunks[0]!.attempts.find((a) => a.strategy === 'json-keys')).toEqual({ strategy: 'json-keys', result: 'not-applicable', reason: '' });
    expect(resolver.measureOnlyMs).toEqual({ ms: 0, cpuMs: 0 });
  });

  it("are run by the replay's resolver to keep measuring them, on a clock of their own", async () => {
    const before = measuring.measureOnlyMs;
    const r = await measuring.resolveFile(input);
    expect(r.hunks[0]!.withheld).toMatchObject({ strategy: 'adjacent-edits', resolution: 'w = 5\ny = 3\n' });
    expect(r.hunks[0]!.reason).toContain('answers withheld as too often wrong: adjacent-edits/');
    expect(measuring.measureOnlyMs.ms).toBeGreaterThan(before.ms);
    // The same outcome as the merge's, whatever the measuring ran.
    const merge = await resolver.resolveFile(input);
    expect([r.status, r.tier, r.merged, r.proposal]).toEqual([merge.status, merge.tier, merge.merged, merge.proposal]);
  });

  it('a file without a parser still gets the neighbouring-edits proposal (that situation is not withheld)', async () => {
    const r = await resolver.resolveFile({ ...input, path: 'notes.txt' });
    expect(r.tier).toBe('proposed');
    expect(r.hunks[0]!.situation).toBe('no-grammar');
  });
});
