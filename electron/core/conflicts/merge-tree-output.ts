export interface StageEntry {
  mode: string;
  oid: string;
}

/** Parses `git merge-tree --write-tree -z`: tree NUL, `<mode> <oid> <stage>\t<path>` NUL…, NUL, messages. */
export function parseMergeTreeStages(out: string): { tree: string; stages: Map<string, Map<number, StageEntry>>; messages: Map<string, string[]> } {
  const parts = out.split('\0');
  const tree = parts[0]!.trim();
  const stages = new Map<string, Map<number, StageEntry>>();
  let i = 1;
  for (; i < parts.length && parts[i] !== ''; i++) {
    const m = /^(\d+) ([0-9a-f]+) (\d)\t([\s\S]*)$/.exec(parts[i]!);
    if (!m) break;
    const map = stages.get(m[4]!) ?? new Map<number, StageEntry>();
    map.set(Number(m[3]), { mode: m[1]!, oid: m[2]! });
    stages.set(m[4]!, map);
  }
  const messages = new Map<string, string[]>();
  i++;
  while (i < parts.length) {
    const count = Number(parts[i]);
    if (!Number.isInteger(count) || count <= 0) break;
    const paths = parts.slice(i + 1, i + 1 + count);
    const kind = parts[i + 1 + count] ?? '';
    for (const p of paths) messages.set(p, [...(messages.get(p) ?? []), kind]);
    i += count + 3;
  }
  return { tree, stages, messages };
}
