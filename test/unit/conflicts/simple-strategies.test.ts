import { describe, expect, it } from 'vitest';
import { identicalStrategy, reformatStrategy, whitespaceStrategy } from '../../../electron/core/conflicts/simple-strategies.js';
import type { StrategyOutcome } from '../../../electron/core/conflicts/strategy.js';
import { hunk } from './hunk-input.js';

const text = (r: StrategyOutcome | null) => (r && r.kind === 'resolved' ? r.lines.join('') : null);

describe('identical', () => {
  it('takes a change both sides made alike, and nothing else', () => {
    expect(text(identicalStrategy.apply(hunk('a\n', 'b\n', 'b\n')) as StrategyOutcome)).toBe('b\n');
    expect(identicalStrategy.apply(hunk('a\n', 'b\n', 'c\n'))).toBeNull();
  });
});

describe('whitespace (the same change written twice)', () => {
  it('keeps the side with the base file’s line endings when the sides differ only in them', () => {
    // Base CRLF; ours converted the lines to LF, theirs kept CRLF: theirs is kept.
    const r = whitespaceStrategy.apply(hunk('x = 1;\r\n', 'x = 2;\n', 'x = 2;\r\n')) as StrategyOutcome;
    expect(text(r)).toBe('x = 2;\r\n');
    expect(r.kind === 'resolved' && r.reason).toMatch(/CRLF endings/);
    // Base LF: ours' LF is kept, whatever theirs did.
    expect(text(whitespaceStrategy.apply(hunk('x = 1;\n', 'x = 2;\n', 'x = 2;\r\n')) as StrategyOutcome)).toBe('x = 2;\n');
  });

  it('reads the line endings around the hunk when both sides inserted into an empty base', () => {
    const r = whitespaceStrategy.apply(hunk('', 'y();\n', 'y();\r\n', { prefix: 'a();\r\n', suffix: 'b();\r\n' })) as StrategyOutcome;
    expect(text(r)).toBe('y();\r\n');
  });

  it('keeps the re-formatted side when the other left the lines as they were', () => {
    const base = 'call(a,b);\n';
    expect(text(whitespaceStrategy.apply(hunk(base, base, 'call(a, b);\n')) as StrategyOutcome)).toBe('call(a, b);\n');
    expect(text(whitespaceStrategy.apply(hunk(base, 'call( a, b );\n', base)) as StrategyOutcome)).toBe('call( a, b );\n');
    // Both re-formatted differently: ours.
    expect(text(whitespaceStrategy.apply(hunk(base, 'call(a, b);\n', 'call( a,b );\n')) as StrategyOutcome)).toBe('call(a, b);\n');
  });

  it('does not take a changed string literal for layout', () => {
    expect(whitespaceStrategy.apply(hunk('s("a b");\n', 's("a  b");\n', 's("a b") ;\n'))).toBeNull();
  });
});

describe('reformat-one-side', () => {
  it('carries a change of line endings over to the other side’s change (converted)', () => {
    const r = reformatStrategy.apply(hunk('f(1);\ng(2);\n', 'f(1);\r\ng(2);\r\n', 'f(1);\ng(3);\n')) as StrategyOutcome & { situation?: string };
    expect(text(r)).toBe('f(1);\r\ng(3);\r\n');
    expect(r.situation).toBe('converted');
  });

  it('carries a uniform de-indentation over, leaving blank lines and shallower lines alone', () => {
    const base = '    a();\n\n    b();\n';
    const ours = '  a();\n\n  b();\n';
    const theirs = '    a();\n\n    b(1);\n c();\n';
    const r = reformatStrategy.apply(hunk(base, ours, theirs)) as StrategyOutcome & { situation?: string };
    expect(text(r)).toBe('  a();\n\n  b(1);\n c();\n');
    expect(r.situation).toBe('converted');
  });

  it('carries a uniform indentation added by the formatted side', () => {
    const r = reformatStrategy.apply(hunk('a();\nb();\n', '\ta();\n\tb();\n', 'a();\nb(2);\n')) as StrategyOutcome;
    expect(text(r)).toBe('\ta();\n\tb(2);\n');
  });

  it('keeps the change in the old layout (a proposal) when the re-formatting is not one uniform shift', () => {
    const base = '  a();\n  b();\n';
    const ours = '    a();\n b();\n';
    const r = reformatStrategy.apply(hunk(base, ours, '  a();\n  b(2);\n')) as StrategyOutcome & { situation?: string };
    expect(text(r)).toBe('  a();\n  b(2);\n');
    expect(r.situation).toBe('old-formatting');
    // The same where indentation is syntax: no answer at all.
    expect(reformatStrategy.apply(hunk(base, ours, '  a()\n  b(2)\n', { path: 'x.py', lang: 'python' }))).toBeNull();
  });

  it('does not apply when both or neither side only re-formatted, or the base is blank', () => {
    expect(reformatStrategy.apply(hunk('a();\n', 'a( );\n', 'a(  );\n'))).toBeNull();
    expect(reformatStrategy.apply(hunk('a();\n', 'b();\n', 'c();\n'))).toBeNull();
    expect(reformatStrategy.apply(hunk('\n', 'x\n', 'y\n'))).toBeNull();
  });
});
