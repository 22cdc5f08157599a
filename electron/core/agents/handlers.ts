import type { agentsChannels } from '../../../shared/contract/agents.js';
import type { snapshotsChannels } from '../../../shared/contract/snapshots.js';
import type { HandlerMap } from '../handlers.js';
import type { ActivityTracker } from './activity-tracker.js';
import type { AgentService } from './agent-service.js';
import type { SnapshotStore } from '../snapshots/snapshot-store.js';
import { diffSnapshots } from '../snapshots/snapshot-diff.js';
import { HiveError } from '../../../shared/errors.js';
import type { EngineService } from '../engines/engine-service.js';

export function agentsHandlers(core: { agents: AgentService; activity: ActivityTracker; engines: EngineService | null }): HandlerMap<keyof typeof agentsChannels> {
  const s = core.agents;
  const engines = (): EngineService => {
    if (!core.engines) throw new HiveError('BACKEND_UNAVAILABLE', 'This host has no docker backend, so it has no engines.');
    return core.engines;
  };
  return {
    'agents:list': () => s.list(),
    'agents:get': (req) => s.get(req.name),
    'agents:spawn': (req, ctx) => s.spawn(req, ctx.actor),
    'agents:sleep': (req, ctx) => s.sleep(req.name, ctx.actor),
    'agents:wake': (req, ctx) => s.wake(req.name, ctx.actor),
    'agents:restart': (req, ctx) => s.restart(req.name, ctx.actor),
    'agents:stop': (req, ctx) => s.stop(req.name, ctx.actor),
    'agents:remove': (req, ctx) => s.remove(req.name, req.force, ctx.actor),
    'agents:input': async (req, ctx) => ({ ok: true as const, ...(await s.input(req.name, req.text, req.enter, ctx.actor)) }),
    'agents:hook': (req) => {
      core.activity.hook(req.name, req.tool, req.event, req.payload);
      return { ok: true as const };
    },
    'agents:answer': async (req, ctx) => {
      await core.activity.answer(req.name, req.key, ctx.actor);
      return { ok: true as const };
    },
    'agents:output': (req) => s.output(req.name, req.maxBytes),
    'agents:heartbeat': (req) => s.heartbeat(req.name),
    'agents:git': (req) => s.gitState(req.name),
    'agents:setPolicy': (req, ctx) => s.setPolicy(req.name, req.policy, ctx.actor),
    'agents:orphans': () => s.orphans(),
    'agents:move': (req, ctx) => engines().move(req.name, req.engine, ctx.actor),
    'agents:sync': (req) => engines().sync(req.name),
  };
}

export function snapshotsHandlers(core: { agents: AgentService; snapshots: SnapshotStore }): HandlerMap<keyof typeof snapshotsChannels> {
  return {
    'snapshots:list': (req) => {
      core.agents.get(req.name);
      return core.snapshots.list(req.name);
    },
    'snapshots:show': (req) => core.snapshots.read(req.id),
    'snapshots:diff': (req) => ({ diff: diffSnapshots(core.snapshots.read(req.a), core.snapshots.read(req.b)) }),
    'snapshots:restore': (req, ctx) => core.agents.restoreSnapshot(req.id, ctx.actor),
    'snapshots:checkpoint': (req, ctx) => core.agents.checkpoint(req.name, req.note ?? null, ctx.actor),
    'memory:save': (req, ctx) => ({ saved: core.agents.saveMemory(req.name, req.files, ctx.actor) }),
  };
}
