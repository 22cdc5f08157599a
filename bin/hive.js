#!/usr/bin/env node
// The `hive` command. Runs the compiled CLI; `npm install` builds it through the `prepare` script.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/electron/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('hive: the CLI is not built yet. Run `npm install` (or `npm run build`) in the agent-hive folder.\n');
  process.exit(1);
}
await import(entry.href);
