import type { enginesChannels } from '../../../shared/contract/engines.js';
import { HiveError } from '../../../shared/errors.js';
import type { HandlerMap } from '../handlers.js';
import type { EngineService } from './engine-service.js';

/** The `engines:*` channels on top of the EngineService. */
export function enginesHandlers(core: { engines: EngineService | null }): HandlerMap<keyof typeof enginesChannels> {
  const s = (): EngineService => {
    if (!core.engines) throw new HiveError('BACKEND_UNAVAILABLE', 'This host has no docker backend, so it has no engines.');
    return core.engines;
  };
  return {
    'engines:list': () => s().list(),
    'engines:add': (req, ctx) => s().add(req, ctx.actor),
    'engines:remove': (req, ctx) => s().remove(req.name, ctx.actor),
  };
}
