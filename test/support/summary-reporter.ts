import type { File, Reporter, Task } from 'vitest';

/**
 * Prints one plain closing line — "N passed, N failed, N skipped" — after vitest's own summary, so any
 * tool that reads a run's last lines gets the counts without knowing vitest's format.
 */
export default class SummaryReporter implements Reporter {
  onFinished(files: File[] = []): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const visit = (t: Task) => {
      if ('tasks' in t) {
        for (const c of t.tasks) visit(c);
        // A file that failed to load has no tests to count: count the file itself as a failure.
        if ('filepath' in t && t.result?.state === 'fail' && t.tasks.length === 0) failed++;
        return;
      }
      const state = t.result?.state;
      if (t.mode === 'skip' || t.mode === 'todo' || state === 'skip') skipped++;
      else if (state === 'pass') passed++;
      else failed++;
    };
    for (const f of files) visit(f);
    process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
