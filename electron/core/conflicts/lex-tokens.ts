/**
 * A language-agnostic lexer for C-family source (JS/TS and most config formats): identifiers and numbers,
 * string, template and comment literals as single tokens with their contents byte for byte, every other
 * non-whitespace character a token of its own. Whitespace between tokens is the only thing it drops, so
 * two texts with the same tokens differ in layout only — unlike a regex normalization, a changed string
 * literal or a moved punctuation mark always counts.
 */
export function lexTokens(text: string): string[] {
  const out: string[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (isSpace(c)) {
      i++;
      continue;
    }
    const start = i;
    if (isWord(c)) {
      while (i < n && isWord(text.charCodeAt(i))) i++;
    } else if (c === 0x22 || c === 0x27) {
      i = endOfQuoted(text, i, c);
    } else if (c === 0x60) {
      i = endOfTemplate(text, i);
    } else if (c === 0x2f && text.charCodeAt(i + 1) === 0x2f) {
      while (i < n && text.charCodeAt(i) !== 0x0a) i++;
      // A line comment's trailing spaces are layout, not content.
      out.push(text.slice(start, i).trimEnd());
      continue;
    } else if (c === 0x2f && text.charCodeAt(i + 1) === 0x2a) {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
    } else {
      i++;
    }
    out.push(text.slice(start, i));
  }
  return out;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0b || c === 0x0c || c === 0xa0 || c === 0xfeff;
}

function isWord(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c === 0x24 || c > 0x7f;
}

/** A quoted string ends at its unescaped quote or, unterminated, at the end of its line. */
function endOfQuoted(text: string, i: number, quote: number): number {
  for (i++; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) i++;
    else if (c === quote) return i + 1;
    else if (c === 0x0a) return i;
  }
  return text.length;
}

/** A template literal, `${…}` substitutions (with nested braces, strings and templates) included. */
function endOfTemplate(text: string, i: number): number {
  for (i++; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) i++;
    else if (c === 0x60) return i + 1;
    else if (c === 0x24 && text.charCodeAt(i + 1) === 0x7b) {
      let depth = 1;
      for (i += 2; i < text.length && depth > 0; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x7b) depth++;
        else if (d === 0x7d) depth--;
        else if (d === 0x22 || d === 0x27) i = endOfQuoted(text, i, d) - 1;
        else if (d === 0x60) i = endOfTemplate(text, i) - 1;
      }
      i--;
    }
  }
  return text.length;
}
