import { describe, expect, it } from 'vitest';
import { jsonKeysStrategy, mergeTokens, tokenMergeStrategy } from '../../../electron/core/conflicts/token-strategies.js';
import { versionStrategy } from '../../../electron/core/conflicts/version-strategy.js';
import { hunk, situation, text } from './hunk-input.js';


describe('token merge', () => {
  it('keeps both sides’ word-level edits of one line', () => {
    expect(mergeTokens('var a = f(x);\n', 'let a = f(x);\n', 'var a = f(x, y);\n')).toBe('let a = f(x, y);\n');
  });

  it('no answer when both sides changed the same word, or neighbouring tokens (git’s rule: touching edits conflict)', () => {
    expect(mergeTokens('f(a);\n', 'f(b);\n', 'f(c);\n')).toBeNull();
    expect(mergeTokens('a b\n', 'x b\n', 'a, b\n')).toBeNull();
    // Apart by one unchanged token: merged.
    expect(mergeTokens('a + b\n', 'x + b\n', 'a + y\n')).toBe('x + y\n');
  });

  it('keeps line ends, CRLF included, and leaves large regions alone', () => {
    expect(mergeTokens('one two\r\nthree\r\n', 'One two\r\nthree\r\n', 'one two\r\nthree four\r\n')).toBe('One two\r\nthree four\r\n');
    const big = 'word '.repeat(2000);
    expect(mergeTokens(big, 'x' + big, big + 'y')).toBeNull();
  });

  it('answers only where no line was added or removed (reshaped regions measured wrong 30 % of the time)', () => {
    const same = tokenMergeStrategy.apply(hunk('var a = f(x);\n', 'let a = f(x);\n', 'var a = f(x, y);\n'));
    expect(text(same)).toBe('let a = f(x, y);\n');
    expect(situation(same)).toBe('same-lines');
    expect(tokenMergeStrategy.apply(hunk('run(a);\n', 'run(a, b);\n', 'if (ok)\n  run(a);\n'))).toBeNull();
  });

  it('no answer for insertions at one place (base empty) or when the merge equals one side', () => {
    expect(tokenMergeStrategy.apply(hunk('', 'a\n', 'b\n'))).toBeNull();
    expect(tokenMergeStrategy.apply(hunk('a b\n', 'a b c\n', 'a b c\n'))).toBeNull();
  });

});

describe('JSON keys', () => {
  const j = (base: string, ours: string, theirs: string) => hunk(base, ours, theirs, { path: 'package.json', lang: 'json' });

  it('merges a dependency map key by key: one-sided bumps, additions from both, the higher version where both changed', () => {
    const base = '    "accepts": "1.0.0",\n    "debug": "2.1.0",\n    "ws": "1.0.0"\n';
    const ours = '    "accepts": "1.0.0",\n    "debug": "2.2.0",\n    "ws": "1.1.0"\n';
    const theirs = '    "accepts": "1.1.0",\n    "debug": "2.1.0",\n    "ws": "1.0.1",\n    "zlib": "0.1.0"\n';
    expect(text(jsonKeysStrategy.apply(j(base, ours, theirs)))).toBe('    "accepts": "1.1.0",\n    "debug": "2.2.0",\n    "ws": "1.1.0",\n    "zlib": "0.1.0"\n');
  });

  it('a key one side removed goes; the region keeps ours’ trailing comma; removed by one and changed by the other is no answer', () => {
    const r = jsonKeysStrategy.apply(j('  "a": "1",\n  "b": "1",\n', '  "a": "1",\n  "b": "2",\n', '  "b": "1",\n  "c": "1",\n'));
    expect(text(r)).toBe('  "b": "2",\n  "c": "1",\n');
    expect(jsonKeysStrategy.apply(j('  "a": "1",\n  "b": "1",\n', '  "a": "2",\n  "b": "1",\n', '  "b": "1",\n  "c": "1",\n'))).toBeNull();
  });

  it('no answer when both changed a key to values that are not versions, a key is listed twice, or a line is not a string pair', () => {
    expect(jsonKeysStrategy.apply(j('  "test": "mocha"\n', '  "test": "mocha -R dot"\n', '  "test": "jest"\n'))).toBeNull();
    expect(jsonKeysStrategy.apply(j('  "a": "1"\n', '  "a": "1",\n  "a": "2"\n', '  "a": "3"\n'))).toBeNull();
    expect(jsonKeysStrategy.apply(j('  "a": "1"\n', '  "a": ["1"]\n', '  "a": "3"\n'))).toBeNull();
    expect(jsonKeysStrategy.apply(hunk('  "a": "1"\n', '  "a": "2"\n', '  "b": "3"\n', { path: 'src/a.ts' }))).toBeNull();
  });
});

describe('higher version, the release side', () => {
  it('takes the whole side whose package.json "version" is higher when the region holds other lines too', () => {
    const ours = '  "version": "4.1.0",\n  "main": "./index.js",\n';
    const theirs = '  "version": "3.8.24",\n  "main": "./lib/index.js",\n';
    const r = versionStrategy.apply(hunk('  "version": "3.8.23",\n  "main": "./lib",\n', ours, theirs, { path: 'package.json', lang: 'json' }));
    expect(text(r)).toBe(ours);
    expect(situation(r)).toBe('release-side');
  });

  it('no answer where only one side changed the version (the other side’s own edit of the region would be lost)', () => {
    const base = '  "version": "1.0.0",\n  "main": "a.js",\n';
    expect(versionStrategy.apply(hunk(base, '  "version": "1.1.0",\n  "main": "a.js",\n', '  "version": "1.0.0",\n  "main": "b.js",\n', { path: 'package.json', lang: 'json' }))).toBeNull();
  });

  it('no answer when a side lists "version" twice or both name the same version', () => {
    const twice = '  "version": "4.1.0",\n  "version": "4.0.0",\n  "main": "x",\n';
    expect(versionStrategy.apply(hunk('  "version": "1.0.0",\n  "main": "y",\n', twice, '  "version": "3.0.0",\n  "main": "z",\n', { path: 'package.json', lang: 'json' }))).toBeNull();
    expect(versionStrategy.apply(hunk('  "version": "1.0.0",\n  "main": "y",\n', '  "version": "2.0.0",\n  "main": "x",\n', '  "version": "2.0.0",\n  "main": "z",\n', { path: 'package.json', lang: 'json' }))).toBeNull();
  });
});
