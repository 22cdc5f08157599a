import { HiveCore, type CoreOptions } from './hive-core.js';

/** The one way hosts build the core (Electron main, `hive serve`, tests). */
export function createCore(options: CoreOptions): { core: HiveCore; handlers: HiveCore['handlers'] } {
  const core = new HiveCore(options);
  return { core, handlers: core.handlers };
}
