import type { conflictsChannels } from '../../../shared/contract/conflicts.js';
import type { HandlerMap } from '../handlers.js';
import type { ConflictService } from './conflict-service.js';

/** The `conflicts:*`, `merge:*` and `intent:*` channels on top of the ConflictService. */
export function conflictsHandlers(core: { conflicts: ConflictService }): HandlerMap<keyof typeof conflictsChannels> {
  const s = () => core.conflicts;
  return {
    'conflicts:preflight': (req) => s().preflight(req.agent),
    'conflicts:list': (req) => s().list({ status: req.status, agent: req.agent, limit: req.limit }),
    'conflicts:get': (req) => s().get(req.id),
    'conflicts:resolve': (req, ctx) => s().resolve(req.id, { take: req.take, text: req.text }, ctx.actor),
    'conflicts:abandon': (req, ctx) => s().abandon(req.id, ctx.actor),
    'conflicts:sendBack': (req) => s().sendBack(req.id, req.note),
    'conflicts:getSettings': () => s().settings(),
    'conflicts:setSettings': (req) => s().setSettings(req),
    'merge:run': (req, ctx) => s().merge(req.name, req.into, ctx.actor),
    'merge:list': (req) => s().mergeList(req.limit),
    'intent:claim': (req) => s().claim(req.agent, req.paths, req.reason),
    'intent:release': (req) => ({ released: s().release(req.agent, req.paths) }),
    'intent:list': (req) => s().claims(req.agent),
  };
}
