import type { Segment } from './merge-file.js';
import { joinLines } from './text-lines.js';

/**
 * Splits a resolved file back into one text per conflict hunk, using the stable segments as anchors
 * (each must appear, in order, at a line start). Null when the person also edited the stable parts in
 * a way that hides the anchors: then no per-hunk answer can be learned safely.
 */
export function hunkResolutions(segments: readonly Segment[], resolved: string): string[] | null {
  const out: string[] = [];
  let pos = 0;
  let pendingHunk = false;
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    if (s.kind === 'conflict') {
      pendingHunk = true;
      continue;
    }
    const text = joinLines(s.lines);
    const at = pendingHunk ? findAtLineStart(resolved, text, pos, i === segments.length - 1) : resolved.startsWith(text, pos) ? pos : -1;
    if (at < 0) return null;
    if (pendingHunk) out.push(resolved.slice(pos, at));
    pos = at + text.length;
    pendingHunk = false;
  }
  if (pendingHunk) out.push(resolved.slice(pos));
  else if (pos !== resolved.length) return null;
  return out;
}

function findAtLineStart(hay: string, needle: string, from: number, last: boolean): number {
  if (last) {
    // The final stable segment must end the file.
    const at = hay.length - needle.length;
    return at >= from && hay.endsWith(needle) && (at === 0 || hay[at - 1] === '\n') ? at : -1;
  }
  let at = hay.indexOf(needle, from);
  while (at >= 0 && at > 0 && hay[at - 1] !== '\n') at = hay.indexOf(needle, at + 1);
  return at;
}
