// Matching terminal control sequences is the point of these expressions.
/* eslint-disable no-control-regex */
/** Escape sequences and carriage-return overwrites removed: what a person would read in a log tail. */
export function plainText(s: string): string {
  return s
    .replace(/\x1b\[[0-?]*[ -/]*[@-~]/g, '')
    .replace(/\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g, '')
    .replace(/\x1b[PX^_][^\x1b]*\x1b\\/g, '')
    .replace(/\x1b[@-Z\\-_]/g, '')
    .split('\n')
    .map((l) => l.split('\r').filter(Boolean).slice(-1)[0] ?? '')
    .join('\n');
}
/* eslint-enable no-control-regex */
