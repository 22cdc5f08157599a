import { lstatSync, type Stats } from 'node:fs';
import path from 'node:path';

/** lstat (a link is not followed), or null when nothing is there. */
export function lstatOrNull(p: string): Stats | null {
  try {
    return lstatSync(p);
  } catch {
    return null;
  }
}

/**
 * The first folder between `root` (excluded) and `dir` (included) that is a symbolic link, or null. Writing
 * below such a folder would land wherever the link points, outside `root` too. Folders not there yet count
 * as none (they are created as real folders).
 */
export function linkOnTheWay(root: string, dir: string): string | null {
  const rootAbs = path.resolve(root);
  for (let d = path.resolve(dir); d.length > rootAbs.length && d.startsWith(rootAbs + path.sep); d = path.dirname(d)) {
    if (lstatOrNull(d)?.isSymbolicLink()) return d;
  }
  return null;
}
