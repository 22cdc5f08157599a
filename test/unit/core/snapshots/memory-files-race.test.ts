import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { collectMemoryFiles } from '../../../../electron/core/snapshots/context.js';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it('reads memory files while the agent rewrites them (temporary file, then rename): a file gone between listing and reading is skipped, never an error', async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hive-memrace-'));
  const mem = path.join(dir, '.hive', 'memory');
  mkdirSync(mem, { recursive: true });
  writeFileSync(path.join(mem, 'seq.txt'), '0');
  // What the chaos soak's agent does, as fast as it can: a sleep of the agent failed on this with
  // "ENOENT … seq.txt.<pid>.tmp" (an internal error in the GUI) once in a 30-minute soak.
  const writer = spawn(process.execPath, [
    '-e',
    `const fs = require('fs'); const p = ${JSON.stringify(path.join(mem, 'seq.txt'))}; let i = 0;
     for (;;) { const t = p + '.' + process.pid + '.tmp'; fs.writeFileSync(t, String(++i)); fs.renameSync(t, p); }`,
  ]);
  try {
    await new Promise((r) => setTimeout(r, 200));
    for (let i = 0; i < 3000; i++) {
      // The file itself is always there (renames are atomic); a temporary one only when it outlived the read.
      expect(collectMemoryFiles(dir).map((f) => f.path)).toContain(path.join('.hive', 'memory', 'seq.txt'));
    }
  } finally {
    // Gone before the folder is removed: a kill returns at once, and a writer still running for a moment
    // created its next temporary file while afterEach removed the folder (ENOTEMPTY, once in a full run).
    const exited = writer.exitCode !== null || writer.signalCode !== null ? Promise.resolve() : new Promise((r) => writer.once('exit', r));
    writer.kill('SIGKILL');
    await exited;
  }
});
