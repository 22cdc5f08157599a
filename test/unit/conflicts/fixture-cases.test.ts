import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Resolver } from '../../../electron/core/conflicts/resolver.js';

const root = path.resolve(__dirname, '../../fixtures/conflicts');
const resolver = new Resolver();
afterAll(() => resolver.dispose());

interface CaseMeta {
  path: string;
  /** proposed: every hunk answered and the gate passed, but by a strategy in the proposal tier. */
  outcome: 'resolved' | 'proposed' | 'escalated' | 'clean';
  strategy?: string;
  /** The strategy's situation (strategy-tiers.ts), when the case pins it. */
  situation?: string;
  reason?: string;
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
