import type { Command } from 'commander';
import type { CliContext } from '../context.js';

/**
 * `hive migrate --from <repo>/.claude [--dry-run] [--validate] [--json]`. Works on the data dir's database
 * directly (no host: it refuses while one runs, and holds the host lock while it writes). Exit 0 when
 * done, 1 on an error or a failed validation.
 */
export function registerMigrateCommands(program: Command, ctx: CliContext): void {
  program
    .command('migrate')
    .description('import the original LeanVibe .claude/ tree (agents, memory, state/agent_hive.db) into the store, after backing it up')
    .requiredOption('--from <dir>', 'the old system\'s .claude directory (or the repository that contains it)')
    .option('--dry-run', 'show what would be imported; write nothing')
    .option('--validate', 'compare counts and checksums of the source and the store; exit 1 on a mismatch (with --dry-run: only compare)')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { from: string; dryRun?: boolean; validate?: boolean; json?: boolean }) => {
      // Loaded on use: the rest of the CLI stays quick to start.
      const { migrateFromClaudeDir } = await import('../../core/migrate/migrate-from-claude-dir.js');
      const { HostLock } = await import('../../host/host-lock.js');
      const report = await migrateFromClaudeDir({
        source: opts.from,
        dataDir: ctx.dataDir(),
        dryRun: opts.dryRun ?? false,
        validate: opts.validate ?? false,
        // The host's own lock: no `hive serve` or app can start on this data dir while the import writes.
        acquireLock: (dir) => HostLock.acquire(dir),
      });
      ctx.print(report, { json: opts.json }, (r: typeof report) => r.summary);
      if (report.validation && !report.validation.ok) process.exitCode = 1;
    });
}
