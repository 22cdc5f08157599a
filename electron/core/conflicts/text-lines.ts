/** Splits text into lines that keep their terminators, so joining them gives the text back byte for byte. */
export function splitLines(text: string): string[] {
  if (text.length === 0) return [];
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      out.push(text.slice(start, i + 1));
      start = i + 1;
    }
  }
  if (start < text.length) out.push(text.slice(start));
  return out;
}

/**
 * Appends `from[start..end)` to `to`. Not `to.push(...from)`: a spread passes every line as an argument on
 * the stack, and past ~120,000 lines (a large lockfile or generated bundle) that throws "Maximum call stack
 * size exceeded".
 */
export function pushLines(to: string[], from: readonly string[], start = 0, end = from.length): void {
  for (let i = start; i < end; i++) to.push(from[i]!);
}

export function joinLines(lines: readonly string[]): string {
  return lines.join('');
}

/** CRLF → LF: line-ending-only differences vanish. */
export function normalizeEol(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}

/** Line endings, trailing spaces and a final newline vanish; indentation and inner spacing stay. */
export function normalizeTrailing(text: string): string {
  return normalizeEol(text)
    .split('\n')
    .map((l) => l.replace(/[ \t]+$/, ''))
    .join('\n')
    .replace(/\n+$/, '');
}

/** Which line ending a text mostly uses. */
export function eolOf(text: string): '\r\n' | '\n' {
  const crlf = (text.match(/\r\n/g) ?? []).length;
  const lf = (text.match(/\n/g) ?? []).length - crlf;
  return crlf > lf ? '\r\n' : '\n';
}

export function withEol(text: string, eol: '\r\n' | '\n'): string {
  const lf = normalizeEol(text);
  return eol === '\n' ? lf : lf.replace(/\n/g, '\r\n');
}

/** Leading whitespace of a line (without its terminator). */
export function indentOf(line: string): string {
  return /^[ \t]*/.exec(line)?.[0] ?? '';
}

/** Conflict markers as git writes them, at the default marker size or any other size of 7+. */
export const CONFLICT_MARKER = /^(<{7,}|>{7,}|\|{7,}|={7,})(?: |$|\r?\n)/m;

/**
 * Whether `text` has `line` as one of its lines (LF or CRLF endings), found with native searches, no split
 * of the whole text. `padded`: the line may also have spaces or tabs around it and CRs after it (a trimmed line's match).
 */
export function hasLine(text: string, line: string, padded = false): boolean {
  for (let at = text.indexOf(line); at >= 0; at = text.indexOf(line, at + 1)) {
    let i = at - 1;
    while (padded && i >= 0 && (text[i] === ' ' || text[i] === '\t')) i--;
    if (i >= 0 && text[i] !== '\n') continue;
    let j = at + line.length;
    while (padded && j < text.length && (text[j] === ' ' || text[j] === '\t' || text[j] === '\r')) j++;
    if (j === text.length || text[j] === '\n' || (text[j] === '\r' && text[j + 1] === '\n')) return true;
  }
  return false;
}
