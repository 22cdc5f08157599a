import type { busChannels } from '../../../shared/contract/bus.js';
import type { HandlerMap } from '../handlers.js';
import type { Bus } from './bus.js';

/**
 * The bus's invoke channels. Agents call them through `hive msg …` / `hive memory …` with their own name
 * (HIVE_AGENT) in `from` / `name`; the GUI reads `msg:list`, `msg:topics` and `bus:state`.
 */
export function busHandlers(core: { readonly bus: Bus }): HandlerMap<keyof typeof busChannels> {
  const bus = (): Bus => core.bus;
  return {
    'msg:send': (req) => bus().send(req),
    'msg:inbox': (req, ctx) => bus().inbox(req.name, { waitMs: req.waitMs, ack: req.ack, limit: req.limit, signal: ctx.signal }),
    'msg:ack': async (req) => ({ acked: await bus().ack(req.name, req.ids) }),
    'msg:subscribe': async (req) => ({ topics: await bus().subscribe(req.name, req.topic) }),
    'msg:unsubscribe': async (req) => ({ topics: await bus().unsubscribe(req.name, req.topic) }),
    'msg:list': (req) => bus().list(req),
    'msg:topics': () => bus().topics(),
    'msg:pane': (req) => {
      bus().setPaneDelivery(req.name, req.enabled);
      return { name: req.name, enabled: req.enabled };
    },
    'memory:set': async (req) => {
      await bus().memorySet(req.name, req.key, req.value);
      return { ok: true as const };
    },
    'memory:get': (req) => bus().memoryGet(req.name, req.key),
    'bus:state': () => bus().state(),
  };
}
