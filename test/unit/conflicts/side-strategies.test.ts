import { afterAll, describe, expect, it } from 'vitest';
import { Grammars } from '../../../electron/core/conflicts/grammars.js';
import { alreadyElsewhereInOursStrategy, alreadyInOursStrategy, changelogSectionsStrategy, lineByLineStrategy } from '../../../electron/core/conflicts/side-strategies.js';
import { hunk, situation, text } from './hunk-input.js';
import { VerificationGate } from '../../../electron/core/conflicts/verification-gate.js';
import { versionStrategy } from '../../../electron/core/conflicts/version-strategy.js';


describe("already in ours (theirs' change is already there)", () => {
  it('keeps ours when its lines hold theirs edit and more', () => {
    const r = alreadyInOursStrategy.apply(hunk('run(a);\n', 'run(a, b);\nlog();\n', 'run(a, b);\n'));
    expect(text(r)).toBe('run(a, b);\nlog();\n');
    expect(situation(r)).toBe('in-hunk');
  });

  it("never the mirror image: ours' change already in theirs is not an answer (people took theirs only half the time)", () => {
    expect(alreadyInOursStrategy.apply(hunk('run(a);\n', 'run(a, b);\n', 'run(a, b);\nlog();\n'))).toBeNull();
  });

  it('keeps ours when the lines theirs added are elsewhere in ours (moved or cherry-picked), not when theirs removed something ours still has', () => {
    const prefix = "import { parse } from './parse.js';\nimport { format } from './format.js';\n";
    // The in-hunk half does not search the file; the elsewhere half (its own step) does.
    expect(alreadyInOursStrategy.apply(hunk('const x = 1;\n', 'const x = 2;\n', "import { format } from './format.js';\nconst x = 1;\n", { prefix }))).toBeNull();
    const r = alreadyElsewhereInOursStrategy.apply(hunk('const x = 1;\n', 'const x = 2;\n', "import { format } from './format.js';\nconst x = 1;\n", { prefix }));
    expect(text(r)).toBe('const x = 2;\n');
    expect(situation(r)).toBe('elsewhere');
    // Theirs removed the parse import, which ours' file still has: not already in ours.
    expect(alreadyElsewhereInOursStrategy.apply(hunk("import { parse } from './parse.js';\nconst x = 1;\n", 'const x = 2;\n', "import { format } from './format.js';\nconst x = 1;\n", { prefix }))).toBeNull();
    // Only short or bracket lines added: too common to tell where they came from.
    expect(alreadyElsewhereInOursStrategy.apply(hunk('a\n', 'b\n', '}\na\n', { prefix: '}\n' }))).toBeNull();
    // The in-hunk answer is the first half's: the second gives none there.
    expect(alreadyElsewhereInOursStrategy.apply(hunk('run(a);\n', 'run(a, b);\nlog();\n', 'run(a, b);\n'))).toBeNull();
  });
});

describe('line by line', () => {
  it('takes each line from the side that changed it when the versions line up', () => {
    const r = lineByLineStrategy.apply(hunk('var a = f(1);\nvar b = g(2);\n', 'let a = f(1);\nvar b = g(2);\n', 'var a = f(1);\nvar b = h(2);\n'));
    expect(text(r)).toBe('let a = f(1);\nvar b = h(2);\n');
  });

  it('no answer when a line was changed by both, the line counts differ or one side changed nothing', () => {
    expect(lineByLineStrategy.apply(hunk('a\nb\n', 'x\nb\n', 'y\nb\n'))).toBeNull();
    expect(lineByLineStrategy.apply(hunk('a\nb\n', 'x\nb\n', 'a\nb\nc\n'))).toBeNull();
    expect(lineByLineStrategy.apply(hunk('a\nb\n', 'x\nb\n', 'x\nb\n'))).toBeNull();
  });
});

describe('changelog sections', () => {
  const h = (ours: string, theirs: string, p = 'History.md') => hunk('', ours, theirs, { path: p, lang: null });
  it('keeps both sides’ release sections, newest date first', () => {
    const ours = '3.9.1 / 2014-02-01\n==================\n * fixed; ours\n\n';
    const theirs = '3.8.24 / 2014-02-03\n===================\n * fixed; theirs\n\n';
    expect(text(changelogSectionsStrategy.apply(h(ours, theirs)))).toBe(theirs + ours);
    expect(text(changelogSectionsStrategy.apply(h(theirs, ours)))).toBe(theirs + ours);
  });

  it('theirs first when a section is dated before the release below it (a mistyped date cannot order them)', () => {
    // Theirs' 3.8.22 says 2014-01-24 but sits above 3.8.21 of 2014-12-18: its year is wrong. By date it would
    // go under ours' 3.9.7; the developer (and the order people chose on the corpus) puts theirs first.
    const ours = '3.9.7 / 2014-12-19\n==================\n * fixed; ours\n\n';
    const theirs = '3.8.22 / 2014-01-24\n===================\n * fixed; theirs\n\n';
    const suffix = '3.8.21 / 2014-12-18\n===================\n * older\n';
    const r = changelogSectionsStrategy.apply(hunk('', ours, theirs, { path: 'History.md', lang: null, suffix }));
    expect(text(r)).toBe(theirs + ours);
    expect(r && r.kind === 'resolved' ? r.reason : '').toMatch(/theirs first/);
    // Dates in order down to the release below: newest first, whichever side it came from (here ours).
    const ok = '3.8.22 / 2015-01-24\n===================\n * fixed; theirs\n\n';
    const newer = '3.9.8 / 2015-02-01\n==================\n * fixed; ours\n\n';
    expect(text(changelogSectionsStrategy.apply(hunk('', newer, ok, { path: 'History.md', lang: null, suffix })))).toBe(newer + ok);
    // Out of order within one side's own new sections counts the same.
    const twoTheirs = '3.8.23 / 2014-01-20\n * b\n\n3.8.22 / 2014-12-30\n * a\n\n';
    expect(text(changelogSectionsStrategy.apply(hunk('', ours, twoTheirs, { path: 'History.md', lang: null })))).toBe(twoTheirs + ours);
  });

  it('no answer for undated headers, text before the first header, a file that is not a changelog, or a base that was changed', () => {
    expect(changelogSectionsStrategy.apply(h('3.9.1\n * a\n', '3.8.24\n * b\n'))).toBeNull();
    expect(changelogSectionsStrategy.apply(h(' * loose line\n3.9.1 / 2014-02-01\n', '3.8.24 / 2014-02-03\n'))).toBeNull();
    expect(changelogSectionsStrategy.apply(h('3.9.1 / 2014-02-01\n', '3.8.24 / 2014-02-03\n', 'docs/notes.md'))).toBeNull();
    expect(changelogSectionsStrategy.apply(hunk('x\n', '3.9.1 / 2014-02-01\n', '3.8.24 / 2014-02-03\n', { path: 'CHANGELOG.md', lang: null }))).toBeNull();
  });
});

describe('higher version in old package.json files', () => {
  it('reads leading-comma version lines', () => {
    const r = versionStrategy.apply(hunk('  , "version": "2.5.4"\n', '  , "version": "2.5.5"\n', '  , "version": "2.5.7"\n', { path: 'package.json', lang: 'json' }));
    expect(text(r)).toBe('  , "version": "2.5.7"\n');
  });
});

describe('verification gate: conflict markers', () => {
  const grammars = new Grammars();
  afterAll(() => grammars.dispose());
  const gate = new VerificationGate(grammars);
  it('a marker-like line an input already had is content; a new one fails with its line number', async () => {
    const base = 'Title\n=======\n\ntext\n';
    expect((await gate.check({ path: 'README.md', lang: null, base, ours: base, theirs: base, merged: 'Title\n=======\n\nnew text\n' })).ok).toBe(true);
    const r = await gate.check({ path: 'README.md', lang: null, base, ours: base, theirs: base, merged: 'Title\n=======\n<<<<<<< ours\ntext\n' });
    expect(r).toEqual({ ok: false, reason: 'the result still contains a conflict marker at line 3' });
    // CRLF inputs: the same line with its CR is still the input's own line.
    const crlf = 'Title\r\n=======\r\n';
    expect((await gate.check({ path: 'README.md', lang: null, base: crlf, ours: crlf, theirs: crlf, merged: 'Title\r\n=======\r\nmore\r\n' })).ok).toBe(true);
  });

  it("git's labelled markers that only one side had (a conflict committed unresolved) fail; ones all three versions have are content", async () => {
    const base = 'a\nb\n';
    const ours = 'a\n<<<<<<< HEAD\nb\n=======\nc\n>>>>>>> feature\n';
    const theirs = 'a\nb2\n';
    const r = await gate.check({ path: 'notes.txt', lang: null, base, ours, theirs, merged: ours });
    expect(r).toEqual({ ok: false, reason: 'the result still contains a conflict marker at line 2' });
    // A merge tool's own test fixture: the markers were there all along.
    const fixture = 'x\n<<<<<<< HEAD\n=======\n>>>>>>> feature\n';
    expect((await gate.check({ path: 'fixture.txt', lang: null, base: fixture, ours: fixture + 'y\n', theirs: 'z\n' + fixture, merged: 'z\n' + fixture + 'y\n' })).ok).toBe(true);
  });
});
