#!/usr/bin/env node
// `npm run coverage`: line and branch coverage of electron/ + shared/ (and the renderer on its own), counting
// the code the tests run in child processes too — `hive serve`, the CLI, agents' `hive` calls — which the
// in-process collector cannot see.
//
//  1. vitest with @vitest/coverage-v8 (the tests' own process and workers), twice: the main run and the
//     real-agent run (test/integration/agents), each to its own JSON;
//  2. NODE_V8_COVERAGE set for both runs, so every Node child writes V8 coverage as it exits; c8 maps what ran
//     of dist/ back to the TypeScript sources through the build's source maps;
//  3. the three merged (istanbul), written as coverage/coverage-summary.json, coverage/coverage-final.json
//     and an HTML report in coverage/index.html, with the figures printed.
//
// Fails (exit 1) when a test fails or below the thresholds: 90 % lines and 85 % branches over electron/ +
// shared/. `npm test` runs the suite through this script, so CI enforces them.
// `npm run coverage -- FILE…` runs only those test files (one run, no thresholds): what a change covers.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import libCoverage from 'istanbul-lib-coverage';
import libReport from 'istanbul-lib-report';
import reports from 'istanbul-reports';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'coverage');
const raw = path.join(out, 'children-raw');
const THRESHOLDS = { lines: 90, branches: 85 };
const bin = (name) => path.join(root, 'node_modules', '.bin', name);

rmSync(out, { recursive: true, force: true });
mkdirSync(raw, { recursive: true });

// The tests' temp dirs (git repos, data dirs, Chromium profiles, …) go to one scratch dir per run, removed
// when the run ends, so a run leaves nothing behind in /tmp even where a test's own cleanup misses a dir.
// Locks shared between runs on this machine (test/support/docker-engine-lock.ts) stay in the real tmpdir.
const sharedTmp = os.tmpdir();
const scratch = mkdtempSync(path.join(sharedTmp, 'hive-test-run-'));
const step = (what, file, args, env = {}) => {
  process.stderr.write(`coverage: ${what}\n`);
  const r = spawnSync(file, args, { cwd: root, stdio: 'inherit', env: { ...process.env, TMPDIR: scratch, HIVE_TEST_SHARED_TMPDIR: sharedTmp, ...env } });
  return r.status ?? 1;
};

// `--built`: dist/ is fresh already (`npm test` builds, then lints, then runs this).
const built = process.argv.includes('--built');
if (!built && step('build (dist/ with source maps, for the child processes)', 'npm', ['run', 'build']) !== 0) {
  rmSync(scratch, { recursive: true, force: true });
  process.exit(1);
}
const only = process.argv.slice(2).filter((a) => a !== '--built');
// vitest's default excludes take `*-spec.ts` for a test file (container-spec.ts is product code): replaced.
const common = ['--coverage.enabled', '--coverage.provider=v8', '--coverage.reporter=json', '--coverage.include=electron/**', '--coverage.include=shared/**', '--coverage.include=renderer/src/**', '--coverage.all', '--coverage.exclude=**/*.d.ts'];
const failed = (
  only.length > 0
    ? [step(`tests (${only.join(' ')})`, bin('vitest'), ['run', ...only, ...common, `--coverage.reportsDirectory=${path.join(out, 'main')}`], { NODE_V8_COVERAGE: raw })]
    : [
        step('tests (main run)', bin('vitest'), ['run', '--exclude', 'test/integration/agents/**', ...common, `--coverage.reportsDirectory=${path.join(out, 'main')}`], { NODE_V8_COVERAGE: raw }),
        step('tests (real agents)', bin('vitest'), ['run', 'test/integration/agents', ...common, `--coverage.reportsDirectory=${path.join(out, 'agents')}`], { NODE_V8_COVERAGE: raw }),
      ]
).some((c) => c !== 0);
rmSync(scratch, { recursive: true, force: true });

process.stderr.write('coverage: child processes (c8 over dist/, mapped to the sources)\n');
execFileSync(bin('c8'), ['report', '--temp-directory', raw, '--reports-dir', path.join(out, 'children'), '--reporter', 'json', '--include', 'dist/electron/**', '--include', 'dist/shared/**', '--exclude', 'dist/bench/**'], { cwd: root, stdio: 'inherit' });

// Both collectors convert V8 coverage with v8-to-istanbul, but from different JavaScript (vite's transform
// of a test's imports, the build's bundle for the child processes), so for one source file they name
// different statements and branches. istanbul's own merge would add both statement maps together and count
// the file twice. Instead the tests' map (every file, --coverage.all) is the one map, and what the child
// processes ran is folded onto it by source position: a statement is covered when a child ran a statement on
// the same line; a function when a child ran a function of that name on that line; a branch arm when a child
// ran a branch arm starting at the same line and column. Files only the children loaded are added as they are.
const readPart = (part) => {
  const file = path.join(out, part, 'coverage-final.json');
  const result = {};
  if (!existsSync(file)) return result;
  // Only the sources: c8 names the TypeScript files its source maps point at.
  for (const [k, v] of Object.entries(JSON.parse(readFileSync(file, 'utf8')))) {
    const rel = path.relative(root, k);
    if (/^(electron|shared|renderer\/src)\//.test(rel) && !/\.d\.ts$/.test(rel)) result[path.join(root, rel)] = { ...v, path: path.join(root, rel) };
  }
  return result;
};
const map = libCoverage.createCoverageMap({});
map.merge(readPart('main'));
map.merge(readPart('agents'));
const foldChild = (target, child) => {
  const ranLines = new Set();
  for (const [id, loc] of Object.entries(child.statementMap)) if (child.s[id] > 0) ranLines.add(loc.start.line);
  for (const [id, loc] of Object.entries(target.statementMap)) if (!(target.s[id] > 0) && ranLines.has(loc.start.line)) target.s[id] = 1;
  const ranFns = new Set();
  for (const [id, fn] of Object.entries(child.fnMap)) if (child.f[id] > 0) ranFns.add(`${fn.name}@${fn.decl?.start?.line ?? fn.loc.start.line}`);
  for (const [id, fn] of Object.entries(target.fnMap)) if (!(target.f[id] > 0) && ranFns.has(`${fn.name}@${fn.decl?.start?.line ?? fn.loc.start.line}`)) target.f[id] = 1;
  const ranArms = new Set();
  for (const [id, br] of Object.entries(child.branchMap)) br.locations.forEach((l, i) => { if (child.b[id][i] > 0) ranArms.add(`${l.start.line}:${l.start.column}`); });
  for (const [id, br] of Object.entries(target.branchMap)) br.locations.forEach((l, i) => { if (!(target.b[id][i] > 0) && ranArms.has(`${l.start.line}:${l.start.column}`)) target.b[id][i] = 1; });
};
for (const [file, child] of Object.entries(readPart('children'))) {
  if (!map.files().includes(file)) { map.merge({ [file]: child }); continue; }
  const target = map.fileCoverageFor(file).data;
  foldChild(target, child);
}
rmSync(raw, { recursive: true, force: true });

const summarize = (filter) => {
  const s = libCoverage.createCoverageSummary();
  for (const f of map.files()) if (filter(path.relative(root, f))) s.merge(map.fileCoverageFor(f).toSummary());
  return s.toJSON();
};
const core = summarize((f) => f.startsWith('electron/') || f.startsWith('shared/'));
const renderer = summarize((f) => f.startsWith('renderer/'));
const context = libReport.createContext({ dir: out, coverageMap: map, defaultSummarizer: 'nested' });
for (const r of ['json-summary', 'json', 'html']) reports.create(r).execute(context);
writeFileSync(path.join(out, 'figures.json'), JSON.stringify({ date: new Date().toISOString(), electronAndShared: core, renderer, thresholds: THRESHOLDS }, null, 2) + '\n');

const pct = (x) => `${x.pct.toFixed(1)} % (${x.covered}/${x.total})`;
process.stdout.write(
  `electron/ + shared/: lines ${pct(core.lines)}, branches ${pct(core.branches)}, functions ${pct(core.functions)}\n` +
    `renderer/src/:       lines ${pct(renderer.lines)}, branches ${pct(renderer.branches)}\n` +
    `report: coverage/index.html, coverage/coverage-summary.json, coverage/figures.json\n`,
);
const below = only.length === 0 && (core.lines.pct < THRESHOLDS.lines || core.branches.pct < THRESHOLDS.branches);
if (below) process.stderr.write(`coverage: below the thresholds (${THRESHOLDS.lines} % lines, ${THRESHOLDS.branches} % branches over electron/ + shared/).\n`);
if (failed) process.stderr.write('coverage: some tests failed (see above); the figures count what ran.\n');
process.exit(below || failed ? 1 : 0);
