import path from 'node:path';
import type { HunkInput, Strategy, StrategyOutcome } from './strategy.js';

/**
 * package.json version lines both sides changed (`"version": "5.2.1"`, dependency pins): on real histories
 * the developer kept the higher version — a release branch merged forward, a dependency bumped on both
 * sides. Where every non-blank line of both sides' region is a `"key": "<version>"` line and both list the
 * same keys in the same order, each line is taken from the side whose version of that key is higher (a
 * whole side would drop the other side's bump of a neighbouring dependency). Where the region holds other
 * lines too, see `releaseSide`. Measured on the development corpus (see strategy-tiers.ts), so a proposal,
 * never applied.
 */
export const versionStrategy: Strategy = {
  name: 'higher-version',
  apply(h: HunkInput): StrategyOutcome | null {
    if (path.basename(h.path) !== 'package.json') return null;
    const o = versionLines(h.ours);
    const t = versionLines(h.theirs);
    if (!o || !t) return releaseSide(h);
    if (o.length === 0 || o.length !== t.length) return null;
    const lines: string[] = [];
    const picked: string[] = [];
    for (let i = 0; i < o.length; i++) {
      const [a, b] = [o[i]!, t[i]!];
      if (a.key !== b.key) return null;
      const cmp = compareVersions(a.version, b.version);
      if (cmp === null) return null;
      lines.push(cmp >= 0 ? a.line : b.line);
      if (cmp !== 0) picked.push(`"${a.key}" ${cmp > 0 ? a.version : b.version} (${cmp > 0 ? 'ours' : 'theirs'})`);
    }
    if (picked.length === 0) return null;
    return { kind: 'resolved', lines, reason: `both sides changed version lines; kept the higher of each: ${picked.slice(0, 4).join(', ')}${picked.length > 4 ? '…' : ''}` };
  },
};

/**
 * A package.json region where each side holds exactly one `"version"` line among other lines, and both
 * sides changed it to different versions: the whole side with the higher version (a release line merged
 * forward carries its own dependency list and scripts with it; taking lines from both mixed two releases
 * on the corpus).
 */
function releaseSide(h: HunkInput): StrategyOutcome | null {
  const version = (lines: readonly string[]) => {
    const found = lines.map((l) => VERSION_LINE.exec(l.replace(/\r?\n$/, ''))).filter((m) => m !== null && m[1] === 'version');
    return found.length === 1 ? found[0]![3]! : null;
  };
  const [vb, vo, vt] = [version(h.base), version(h.ours), version(h.theirs)];
  // Both sides changed the version: where only one did, the other side's edit of this region is its own
  // change (a "main" or a script), which the whole higher side would drop — left to the later strategies.
  if (vo === null || vt === null || vo === vb || vt === vb) return null;
  const cmp = compareVersions(vo, vt);
  if (cmp === null || cmp === 0) return null;
  const [side, v] = cmp > 0 ? ['ours', vo] : ['theirs', vt];
  return { kind: 'resolved', lines: [...(cmp > 0 ? h.ours : h.theirs)], situation: 'release-side', reason: `both sides changed this part of package.json with a different "version"; kept ${side}, the higher release (${v}), whole` };
}

/** A version as package.json writes it: an optional range operator and `v`, then the version (group 2). */
const VERSION_VALUE = String.raw`([~^]|>=|<=|>|<|=)?v?(\d+(?:\.\d+){0,3}(?:-[0-9A-Za-z.-]+)?)`;
// Trailing commas or, in older package.json files, leading ones (`  , "version": "2.5.5"`).
const VERSION_LINE = new RegExp(String.raw`^\s*,?\s*"([^"]+)"\s*:\s*"${VERSION_VALUE}"\s*,?\s*$`);
const VERSION_ONLY = new RegExp(`^${VERSION_VALUE}$`);

/** The version in a package.json value (`^1.2.3` → `1.2.3`), or null when the value is not one. */
export function versionOf(value: string): string | null {
  return VERSION_ONLY.exec(value)?.[2] ?? null;
}

/** The version lines in order when every line is one (blank lines not allowed: they would be lost); else null. */
function versionLines(lines: readonly string[]): { key: string; version: string; line: string }[] | null {
  const out: { key: string; version: string; line: string }[] = [];
  for (const l of lines) {
    const m = VERSION_LINE.exec(l.replace(/\r?\n$/, ''));
    if (!m) return null;
    out.push({ key: m[1]!, version: m[3]!, line: l });
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
