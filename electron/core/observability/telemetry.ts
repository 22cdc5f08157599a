import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { isSpanContextValid, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { HiveEvent } from '../../../shared/contract/events.js';
import { silentLogger } from './log-file.js';
import { HiveMetrics, RESTART_REASONS, type MetricSources, type RestartReason } from './metrics.js';

interface ActionContext {
  actionId: string;
  action: string;
  agent: string | null;
}

const actions = new AsyncLocalStorage<ActionContext>();
const tracer = trace.getTracer('agent-hive');

/** Fields every log line gets: the action it belongs to and the active trace (when tracing is on). */
export function logMixin(): Record<string, string> {
  const out: Record<string, string> = {};
  const a = actions.getStore();
  if (a) out.actionId = a.actionId;
  const ctx = trace.getActiveSpan()?.spanContext();
  if (ctx && isSpanContextValid(ctx)) {
    out.trace_id = ctx.traceId;
    out.span_id = ctx.spanId;
  }
  return out;
}

/** Event kinds worth a warning in the log (the rest are info). */
const WARN_KINDS = new Set(['backoff', 'hung', 'snapshot-failed', 'merge.escalated', 'bus.degraded', 'waiting', 'adopt-failed', 'reconcile-failed']);
const WARN_STATUS = new Set(['crashed', 'errored', 'unknown', 'unreachable']);

export interface TelemetryOptions {
  logger?: Logger;
  sources: MetricSources;
  /** Node's default process metrics (off in tests that build many cores). */
  processMetrics?: boolean;
  /** An agent's backend, for the recovery histograms. */
  backendOf?: (agent: string) => string | null;
}

/**
 * Logs, metrics and traces in one place. Services wrap what they do in `action()` (a span, an action id on
 * every log line inside, one line with its duration at the end) and `step()` (a child span); the event log
 * feeds the rest: each event is one log line and updates the metrics it stands for.
 */
export class Telemetry {
  log: Logger;
  readonly metrics: HiveMetrics;
  private readonly backendOf: (agent: string) => string | null;

  constructor(opts: TelemetryOptions) {
    this.log = opts.logger ?? silentLogger();
    this.metrics = new HiveMetrics(opts.sources, { processMetrics: opts.processMetrics });
    this.backendOf = opts.backendOf ?? (() => null);
  }

  /** A telemetry that keeps its numbers to itself (services built without a core: tests). */
  static detached(): Telemetry {
    return new Telemetry({ sources: { agents: () => [], busBacklog: () => 0, conflicts: () => [] }, processMetrics: false });
  }

  /**
   * One user-visible action (sleep, wake, restart, crash recovery, merge …): a span named `hive.<action>`,
   * an action id on every log line written inside it, and one line at the end with its duration and outcome.
   */
  async action<T>(action: string, agent: string | null, fields: { actor?: string; reason?: string; attrs?: Attributes }, fn: () => Promise<T>): Promise<T> {
    const actionId = randomBytes(6).toString('hex');
    const attributes: Attributes = { 'hive.action': action, 'hive.action_id': actionId, ...(agent ? { 'hive.agent': agent } : {}), ...(fields.actor ? { 'hive.actor': fields.actor } : {}), ...fields.attrs };
    return tracer.startActiveSpan(`hive.${action}`, { attributes }, (span) =>
      actions.run({ actionId, action, agent }, async () => {
        const started = performance.now();
        try {
          const result = await fn();
          span.setStatus({ code: SpanStatusCode.OK });
          // An action that answers with the agent says where it left it.
          const maybe = (result as { status?: unknown } | null | undefined)?.status;
          const status = typeof maybe === 'string' ? maybe : undefined;
          this.log.info({ agent, action, actionId, durationMs: ms(started), actor: fields.actor, reason: fields.reason, status }, `${action}${agent ? ` ${agent}` : ''}: done${status ? ` (${status})` : ''}`);
          return result;
        } catch (err) {
          const reason = err instanceof Error ? err.message : String(err);
          failed(span, err);
          this.log.warn({ agent, action, actionId, durationMs: ms(started), actor: fields.actor, reason, code: (err as { code?: string }).code }, `${action}${agent ? ` ${agent}` : ''}: failed`);
          throw err;
        } finally {
          span.end();
        }
      }),
    );
  }

  /** A child span of the current action (snapshot, stop, verify, restore, start …). */
  async step<T>(name: string, fn: () => Promise<T>, attrs?: Attributes): Promise<T> {
    return tracer.startActiveSpan(name, { attributes: attrs }, async (span) => {
      try {
        return await fn();
      } catch (err) {
        failed(span, err);
        throw err;
      } finally {
        span.end();
      }
    });
  }

  /** A span for something that already happened (a crash's detection, a message's trip through the bus). */
  recordSpan(name: string, startMs: number, endMs: number, attrs?: Attributes): void {
    tracer.startSpan(name, { startTime: startMs, attributes: attrs }).end(Math.max(startMs, endMs));
  }

  /** Every event: one log line with its fields, and the metric it stands for. */
  onEvent(e: HiveEvent): void {
    const data = e.data ?? {};
    // A status change inside an action is summed up by the action's own line (debug keeps each step); on its
    // own (a watchdog verdict, a host start) it is a line at info; crashed / errored / unknown always warn.
    const level =
      (e.kind === 'status' && e.to && WARN_STATUS.has(e.to)) || WARN_KINDS.has(e.kind) ? 'warn' : e.kind === 'status' && actions.getStore() ? 'debug' : 'info';
    if (!this.log.isLevelEnabled(level)) return this.observeEvent(e, data);
    const action = e.kind === 'status' ? `status:${e.to}` : e.kind;
    this.log[level](
      { agent: e.agent, action, from: e.from ?? undefined, to: e.to ?? undefined, reason: e.cause || undefined, actor: e.actor, eventId: e.id, durationMs: num(data.downtimeMs) ?? num(data.durationMs), data: e.data ?? undefined },
      `${e.agent ?? 'hive'}: ${e.kind === 'status' ? `${e.from} → ${e.to}` : e.kind}${e.cause ? ` (${e.cause})` : ''}`,
    );
    this.observeEvent(e, data);
  }

  private observeEvent(e: HiveEvent, data: Record<string, unknown>): void {
    if (!e.agent) return;
    if (e.kind === 'status' && e.to === 'crashed') {
      const detect = num(data.detectMs);
      if (detect !== undefined) this.metrics.detection.observe({ backend: this.backendOf(e.agent) ?? 'unknown' }, detect / 1000);
    } else if (e.kind === 'recovery') {
      const downtime = num(data.downtimeMs);
      if (downtime !== undefined) this.metrics.recovery.observe({ backend: this.backendOf(e.agent) ?? 'unknown' }, downtime / 1000);
      this.metrics.restarted(e.agent, restartReason(data.reason));
    } else if (e.kind === 'removed') {
      this.metrics.forgetAgent(e.agent);
    }
  }
}

function restartReason(v: unknown): RestartReason {
  return typeof v === 'string' && (RESTART_REASONS as readonly string[]).includes(v) ? (v as RestartReason) : 'exit';
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function ms(started: number): number {
  return Math.round((performance.now() - started) * 10) / 10;
}

function failed(span: Span, err: unknown): void {
  span.recordException(err instanceof Error ? err : String(err));
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
}
