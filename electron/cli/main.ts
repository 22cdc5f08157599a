import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { HiveError } from '../../shared/errors.js';
import { registerMigrateCommands } from './commands/migrate.js';
import { registerMsgCommands } from './commands/msg.js';
import { registerAgentCommands } from './commands/agents.js';
import { registerServeCommands } from './commands/serve.js';
import { registerSettingsCommands } from './commands/settings.js';
import { registerConflictCommands } from './commands/conflicts.js';
import { registerLogsCommands } from './commands/logs.js';
import { registerEngineCommands } from './commands/engines.js';
import { makeContext, type CliContext } from './context.js';
import { findPackageRoot } from '../core/agents/hive-shim.js';

const COMMANDS: Array<(program: Command, ctx: CliContext) => void> = [
  registerServeCommands,
  registerMigrateCommands,
  registerMsgCommands,
  // after msg: adds `memory save` to its `memory` group
  registerAgentCommands,
  registerConflictCommands,
  registerSettingsCommands,
  registerLogsCommands,
  registerEngineCommands,
];

/** This install's version (package.json), for `hive --version`. */
function packageVersion(): string {
  const root = findPackageRoot(path.dirname(fileURLToPath(import.meta.url)));
  if (!root) return 'unknown';
  try {
    return (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

const program = new Command();
program
  .name('hive')
  .description('Agent Hive: run, watch and recover a fleet of AI coding agents.')
  .version(packageVersion(), '-V, --version', 'print the version of this install')
  .option('--data-dir <dir>', 'data directory (default: $HIVE_DATA_DIR or ~/.agent-hive)')
  .showHelpAfterError()
  .exitOverride();

const ctx = makeContext(program);
// Each domain registers its commands (electron/cli/commands/<domain>.ts exports register(program, ctx)).
for (const register of COMMANDS) register(program, ctx);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  if (err instanceof HiveError) {
    process.stderr.write(`hive: ${err.message} [${err.code}]\n`);
    process.exit(err.code === 'HOST_NOT_RUNNING' ? 3 : 1);
  }
  process.stderr.write(`hive: ${(err as Error).message}\n`);
  process.exit(1);
}
