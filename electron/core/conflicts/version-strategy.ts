import path from 'node:path';
import type { HunkInput, Strategy, StrategyOutcome } from './strategy.js';

/**
 * package.json version lines both sides changed (`"version": "5.2.1"`, dependency pins): on real histories
 * the developer kept the side with the higher version — a release branch merged forward, a dependency
 * bumped twice. Applies only when every non-blank line of both sides' region is a `"key": "<version>"`
 * line; the side whose version is higher at the first key where the two differ is taken whole. Measured
 * on the development corpus (164 files: 153 right, 4 human-edited, 7 wrong), so a proposal, never applied.
 */
export const versionStrategy: Strategy = {
  name: 'higher-version',
  apply(h: HunkInput): StrategyOutcome | null {
    if (path.basename(h.path) !== 'package.json') return null;
    const o = versionLines(h.ours);
    const t = versionLines(h.theirs);
    if (!o || !t || o.size === 0 || t.size === 0) return null;
    for (const [key, ov] of o) {
      const tv = t.get(key);
      if (tv === undefined || tv === ov) continue;
      const cmp = compareVersions(ov, tv);
      if (cmp === null || cmp === 0) return null;
      const [lines, side, won, lost] = cmp > 0 ? [h.ours, 'ours', ov, tv] : [h.theirs, 'theirs', tv, ov];
      return { kind: 'resolved', lines, reason: `both sides changed version lines; took ${side}, whose "${key}" is higher (${won} over ${lost})` };
    }
    return null;
  },
};

const VERSION_LINE = /^\s*"([^"]+)"\s*:\s*"([~^]|>=|<=|>|<|=)?v?(\d+(?:\.\d+){0,3}(?:-[0-9A-Za-z.-]+)?)"\s*,?\s*$/;

/** key → version when every non-blank line is a version line; null otherwise. */
function versionLines(lines: readonly string[]): Map<string, string> | null {
  const out = new Map<string, string>();
  for (const l of lines) {
    if (l.trim() === '') continue;
    const m = VERSION_LINE.exec(l.replace(/\r?\n$/, ''));
    if (!m) return null;
    out.set(m[1]!, m[3]!);
  }
  return out;
}

/** Semver-ish order: numeric parts, then a release above its pre-releases. Null when not comparable. */
export function compareVersions(a: string, b: string): number | null {
  const [an, ap] = split(a);
  const [bn, bp] = split(b);
  for (let i = 0; i < Math.max(an.length, bn.length); i++) {
    const d = (an[i] ?? 0) - (bn[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  if (ap === bp) return 0;
  if (ap === null) return 1;
  if (bp === null) return -1;
  return ap < bp ? -1 : 1;
}

function split(v: string): [number[], string | null] {
  const dash = v.indexOf('-');
  const core = dash < 0 ? v : v.slice(0, dash);
  return [core.split('.').map(Number), dash < 0 ? null : v.slice(dash + 1)];
}
