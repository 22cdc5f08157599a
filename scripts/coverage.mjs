#!/usr/bin/env node
// `npm run coverage`: line and branch coverage of electron/ + shared/ (and the renderer on its own), counting
// the code the tests run in child processes too — `hive serve`, the CLI, agents' `hive` calls — which the
// in-process collector cannot see.
//
//  1. vitest with @vitest/coverage-v8 (the tests' own process and workers), twice like `npm test`: the main
//     run and the real-agent run, each to its own JSON;
//  2. NODE_V8_COVERAGE set for both runs, so every Node child writes V8 coverage as it exits; c8 maps what ran
//     of dist/ back to the TypeScript sources through the build's source maps;
//  3. the three merged (istanbul), written as coverage/coverage-summary.json, coverage/coverage-final.json
//     and an HTML report in coverage/index.html, with the figures printed.
//
// Fails (exit 1) below the thresholds: 90 % lines and 85 % branches over electron/ + shared/.
// `npm run coverage -- FILE…` runs only those test files (one run, no thresholds): what a change covers.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

const step = (what, file, args, env = {}) => {
  process.stderr.write(`coverage: ${what}\n`);
  const r = spawnSync(file, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  return r.status ?? 1;
};

if (step('build (dist/ with source maps, for the child processes)', 'npm', ['run', 'build']) !== 0) process.exit(1);
const only = process.argv.slice(2);
const common = ['--coverage.enabled', '--coverage.provider=v8', '--coverage.reporter=json', '--coverage.include=electron/**', '--coverage.include=shared/**', '--coverage.include=renderer/src/**', '--coverage.all'];
const failed = (
  only.length > 0
    ? [step(`tests (${only.join(' ')})`, bin('vitest'), ['run', ...only, ...common, `--coverage.reportsDirectory=${path.join(out, 'main')}`], { NODE_V8_COVERAGE: raw })]
    : [
        step('tests (main run)', bin('vitest'), ['run', '--exclude', 'test/integration/agents/**', ...common, `--coverage.reportsDirectory=${path.join(out, 'main')}`], { NODE_V8_COVERAGE: raw }),
        step('tests (real agents)', bin('vitest'), ['run', 'test/integration/agents', ...common, `--coverage.reportsDirectory=${path.join(out, 'agents')}`], { NODE_V8_COVERAGE: raw }),
      ]
).some((c) => c !== 0);

process.stderr.write('coverage: child processes (c8 over dist/, mapped to the sources)\n');
execFileSync(bin('c8'), ['report', '--temp-directory', raw, '--reports-dir', path.join(out, 'children'), '--reporter', 'json', '--include', 'dist/electron/**', '--include', 'dist/shared/**', '--exclude', 'dist/bench/**'], { cwd: root, stdio: 'inherit' });

const map = libCoverage.createCoverageMap({});
for (const part of ['main', 'agents', 'children']) {
  const file = path.join(out, part, 'coverage-final.json');
  if (!existsSync(file)) continue;
  const data = JSON.parse(readFileSync(file, 'utf8'));
  // Only the sources: c8 names the TypeScript files its source maps point at.
  for (const [k, v] of Object.entries(data)) {
    const rel = path.relative(root, k);
    if (/^(electron|shared|renderer\/src)\//.test(rel) && !/\.d\.ts$/.test(rel)) map.merge({ [path.join(root, rel)]: { ...v, path: path.join(root, rel) } });
  }
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
