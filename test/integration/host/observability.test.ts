import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent, LiveMetrics } from '../../../shared/contract/index.js';
import { API_PREFIX } from '../../../shared/contract/wire.js';
import { makeGitRepo, tempDir } from '../../support/git-repo.js';
import { hive, hiveJson, REPO_ROOT, startHostProcess, waitFor, type HostProcess } from '../../support/host-process.js';
import { hasService } from '../../support/services.js';
import { killAgentProcesses } from '../core/agent-procs.js';

const DASHBOARD = path.join(REPO_ROOT, 'ops', 'grafana', 'agent-hive.json');
const SCRAPE_EXAMPLE = path.join(REPO_ROOT, 'ops', 'prometheus', 'prometheus.yml');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function run(file: string, args: string[], input?: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = execFile(file, args, { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr });
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

async function api<T>(host: HostProcess, channel: string, body: unknown = {}): Promise<T> {
  const res = await fetch(`${host.url}${API_PREFIX}${channel}`, { method: 'POST', headers: { authorization: `Bearer ${host.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = (await res.json()) as { result: T; error?: { message: string } };
  if (res.status !== 200) throw new Error(`${channel}: ${res.status} ${json.error?.message}`);
  return json.result;
}

function logLines(dataDir: string): Record<string, unknown>[] {
  return readFileSync(path.join(dataDir, 'logs', 'hive.log'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Kills the agent's process from outside (kill -9) and waits until the watchdog has it running again. */
async function crashAndWaitForRecovery(host: HostProcess, name: string): Promise<void> {
  const before = (await hiveJson<Agent>(host.dataDir, ['agents', 'show', name])).restarts;
  const pid = (await hiveJson<Agent>(host.dataDir, ['agents', 'show', name])).pid;
  expect(pid).toBeGreaterThan(0);
  process.kill(pid!, 'SIGKILL');
  await waitFor(async () => {
    const a = await hiveJson<Agent>(host.dataDir, ['agents', 'show', name]);
    return a.status === 'running' && a.restarts > before;
  }, 20_000, 100, `${name} recovered`);
}

describe.skipIf(!hasService('prometheus'))('metrics scraped by a real Prometheus, and the host log', () => {
  let dataDir: string;
  let repo: string;
  let host: HostProcess;
  let prom: ChildProcess | null = null;
  let promUrl: string;
  let promDir: string;

  beforeAll(async () => {
    dataDir = tempDir('hive-obs-');
    repo = makeGitRepo();
    host = await startHostProcess(dataDir);
    const spawned = await hive(dataDir, ['agents', 'spawn', '--name', 'obs1', '--repo', repo, '--backend', 'process', '--cmd', 'echo started; exec sleep 600']);
    expect(spawned.code, spawned.stderr).toBe(0);
  }, 60_000);

  afterAll(async () => {
    prom?.kill('SIGKILL');
    await hive(dataDir, ['agents', 'stop', 'obs1']).catch(() => {});
    await host?.stop();
    killAgentProcesses(dataDir);
    if (promDir) rmSync(promDir, { recursive: true, force: true });
  }, 60_000);

  it('/metrics needs the token and passes promtool check metrics', async () => {
    expect((await fetch(`${host.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${host.url}/metrics`, { headers: { authorization: 'Bearer wrong-token-of-the-same-size-as-the-real-one!' } })).status).toBe(401);
    const res = await fetch(`${host.url}/metrics`, { headers: { authorization: `Bearer ${host.token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    for (const name of ['hive_agents', 'hive_agent_restarts_total', 'hive_recovery_seconds', 'hive_detection_seconds', 'hive_snapshot_seconds', 'hive_snapshot_bytes', 'hive_bus_messages_total', 'hive_bus_delivery_seconds', 'hive_bus_backlog', 'hive_conflicts', 'hive_resolver_decisions_total', 'hive_api_request_seconds', 'process_cpu_seconds_total', 'nodejs_heap_size_used_bytes']) {
      expect(text, name).toContain(`# TYPE ${name} `);
    }
    expect(text).toContain('hive_agents{status="running",backend="process"} 1');
    const check = await run('promtool', ['check', 'metrics'], text);
    expect(check.out).toBe('');
    expect(check.code).toBe(0);
  });

  it('a crash shows in Prometheus, and every dashboard panel expression evaluates', async () => {
    promDir = tempDir('hive-prom-');
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    // The example config, pointed at this host and its token file, scraped every second.
    const target = new URL(host.url).host;
    const config = readFileSync(SCRAPE_EXAMPLE, 'utf8')
      .replace(/scrape_interval: 15s/, 'scrape_interval: 1s')
      .replace(/credentials_file: .*/, `credentials_file: ${path.join(dataDir, 'api.token')}`)
      .replace(/targets: \['127\.0\.0\.1:4780'\]/, `targets: ['${target}']`);
    expect(config).toContain(target);
    const file = path.join(promDir, 'prometheus.yml');
    writeFileSync(file, config);
    const checked = await run('promtool', ['check', 'config', file]);
    expect(checked.code, checked.out).toBe(0);
    // The job the Metrics page copies must be a valid config too.
    const live = await api<LiveMetrics>(host, 'metrics:live');
    expect(live.scrape.tokenFile).toBe(path.join(dataDir, 'api.token'));
    writeFileSync(path.join(promDir, 'copied.yml'), live.scrape.config);
    const copied = await run('promtool', ['check', 'config', path.join(promDir, 'copied.yml')]);
    expect(copied.code, copied.out).toBe(0);
    expect(live.scrape.config).toContain(`targets: ["${target}"]`);

    mkdirSync(path.join(promDir, 'data'));
    prom = spawn('prometheus', [`--config.file=${file}`, `--storage.tsdb.path=${path.join(promDir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    let promLog = '';
    prom.stderr!.on('data', (d) => (promLog += String(d)));
    const query = async (expr: string): Promise<{ status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] }; error?: string }> => {
      const r = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
      return (await r.json()) as never;
    };
    await waitFor(async () => (await fetch(`${promUrl}/-/ready`)).ok, 30_000, 200, `prometheus ready (log: ${promLog.slice(-500)})`);
    await waitFor(async () => (await query('up{job="agent-hive"}')).data.result[0]?.value[1] === '1', 30_000, 250, 'the first successful scrape');
    const countOf = async () => Number((await query('sum(hive_recovery_seconds_count)')).data.result[0]?.value[1] ?? 0);
    const before = await countOf();

    await crashAndWaitForRecovery(host, 'obs1');
    await waitFor(async () => (await countOf()) > before, 30_000, 250, 'hive_recovery_seconds_count to rise in Prometheus');
    const restarts = await query('hive_agent_restarts_total{agent="obs1"}');
    expect(restarts.data.result.map((r) => r.metric.reason)).toContain('killed');

    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[] };
    expect(dashboard.panels.length).toBeGreaterThanOrEqual(10);
    let checkedExprs = 0;
    for (const panel of dashboard.panels) {
      for (const t of panel.targets) {
        // Grafana fills $__rate_interval in; Prometheus itself does not know it.
        const expr = t.expr.replaceAll('$__rate_interval', '1m');
        const r = await query(expr);
        expect(r.status, `${panel.title}: ${expr}: ${r.error ?? ''}`).toBe('success');
        checkedExprs++;
      }
    }
    expect(checkedExprs).toBeGreaterThanOrEqual(dashboard.panels.length);
    // And the recovery panel has data after the crash.
    const p99 = await query('histogram_quantile(0.99, sum by (le, backend) (rate(hive_recovery_seconds_bucket[1m])))');
    expect(p99.data.result.some((r) => r.metric.backend === 'process')).toBe(true);
  }, 120_000);

  it('the log has the crash and the recovery as lines with their fields, and no secret', async () => {
    const secret = 'sk-ant-test-very-secret-value-123456';
    const set = await hive(dataDir, ['settings', 'env', 'claude', `ANTHROPIC_API_KEY=${secret}`]);
    expect(set.code, set.stderr).toBe(0);
    await crashAndWaitForRecovery(host, 'obs1');
    const lines = await waitFor(() => {
      const all = logLines(dataDir);
      return all.filter((l) => l.agent === 'obs1' && l.action === 'recovery').length >= 1 ? all : null;
    }, 10_000, 100, 'the recovery line');
    const recovery = lines.filter((l) => l.agent === 'obs1' && l.action === 'recovery').at(-1)!;
    expect(recovery).toMatchObject({ level: 30, agent: 'obs1', action: 'recovery', actor: 'watchdog' });
    expect(typeof recovery.actionId).toBe('string');
    expect(recovery.durationMs).toBeGreaterThanOrEqual(0);
    expect(String(recovery.reason)).toMatch(/^recovered in \d+ ms$/);
    // The crash itself: a warning, and the crash action's line with the same action id and its duration.
    const crashed = lines.filter((l) => l.agent === 'obs1' && l.action === 'status:crashed').at(-1)!;
    expect(crashed).toMatchObject({ level: 40, agent: 'obs1', reason: 'killed by SIGKILL', actor: 'watchdog' });
    const action = lines.find((l) => l.actionId === crashed.actionId && l.action === 'crash');
    expect(action).toMatchObject({ agent: 'obs1', actor: 'watchdog', reason: 'killed' });
    expect(action!.durationMs).toBeGreaterThan(0);
    // The recovery belongs to that action, or (a second quick crash waits out a backoff) to a `recover` action.
    const owner = lines.find((l) => l.actionId === recovery.actionId && (l.action === 'crash' || l.action === 'recover'));
    expect(owner, JSON.stringify(recovery)).toBeDefined();

    const text = readFileSync(path.join(dataDir, 'logs', 'hive.log'), 'utf8');
    expect(text).not.toContain(host.token);
    expect(text).not.toContain(secret);
    expect(text).toContain('ANTHROPIC_API_KEY');

    // `hive logs` filters by agent and level, and prints JSON lines with --json.
    const warn = await hive(dataDir, ['logs', '--agent', 'obs1', '--level', 'warn', '--json', '--lines', '0']);
    expect(warn.code, warn.stderr).toBe(0);
    const parsed = warn.stdout.trim().split('\n').map((l) => JSON.parse(l) as { level: number; agent: string; action: string });
    expect(parsed.length).toBeGreaterThanOrEqual(1);
    expect(parsed.every((l) => l.level >= 40 && l.agent === 'obs1')).toBe(true);
    expect(parsed.map((l) => l.action)).toContain('status:crashed');
    const pretty = await hive(dataDir, ['logs', '--agent', 'obs1', '-n', '5']);
    expect(pretty.code).toBe(0);
    expect(pretty.stdout.split('\n').filter((l) => /^\[\d{4}-\d\d-\d\d /.test(l))).toHaveLength(5);
    const bad = await hive(dataDir, ['logs', '--level', 'loud']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--level takes one of trace, debug, info, warn, error, fatal');
  }, 60_000);
});

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: { key: string; value: { stringValue?: string } }[];
}

describe('traces: OTLP/HTTP to a receiver the test runs', () => {
  let dataDir: string;
  let repo: string;
  let host: HostProcess;
  let receiver: http.Server;
  const spans: OtlpSpan[] = [];
  let contentTypes = new Set<string>();

  beforeAll(async () => {
    // A minimal OTLP/HTTP receiver: POST /v1/traces with the JSON encoding (what the HTTP exporter sends).
    receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += String(d)));
      req.on('end', () => {
        contentTypes.add(`${req.method} ${req.url} ${req.headers['content-type']}`);
        const doc = JSON.parse(body) as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] };
        for (const rs of doc.resourceSpans) for (const ss of rs.scopeSpans) spans.push(...ss.spans);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    const port = (receiver.address() as net.AddressInfo).port;
    dataDir = tempDir('hive-otel-');
    repo = makeGitRepo();
    host = await startHostProcess(dataDir, [], { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_SERVICE_NAME: 'hive-under-test' });
    const spawned = await hive(dataDir, ['agents', 'spawn', '--name', 'tr1', '--repo', repo, '--backend', 'process', '--cmd', 'exec sleep 600']);
    expect(spawned.code, spawned.stderr).toBe(0);
  }, 60_000);

  afterAll(async () => {
    await hive(dataDir, ['agents', 'stop', 'tr1']).catch(() => {});
    await host?.stop();
    killAgentProcesses(dataDir);
    await new Promise<void>((r) => receiver.close(() => r()));
    contentTypes = new Set();
  }, 60_000);

  const attr = (s: OtlpSpan, key: string) => s.attributes.find((a) => a.key === key)?.value.stringValue;
  const childrenOf = (s: OtlpSpan) => spans.filter((c) => c.parentSpanId === s.spanId && c.traceId === s.traceId).map((c) => c.name);

  it('a sleep and a wake are each one trace: API request → action → its steps; the log lines carry the trace id', async () => {
    expect((await hive(dataDir, ['agents', 'sleep', 'tr1'])).code).toBe(0);
    expect((await hive(dataDir, ['agents', 'wake', 'tr1'])).code).toBe(0);
    const sleep = await waitFor(() => spans.find((s) => s.name === 'hive.sleep' && attr(s, 'hive.agent') === 'tr1'), 15_000, 100, 'the sleep span');
    const wake = await waitFor(() => spans.find((s) => s.name === 'hive.wake' && attr(s, 'hive.agent') === 'tr1'), 15_000, 100, 'the wake span');
    await waitFor(() => childrenOf(sleep).length >= 2 && childrenOf(wake).length >= 3, 15_000, 100, 'the steps');
    expect(childrenOf(sleep)).toEqual(['snapshot', 'stop']);
    expect(childrenOf(wake)).toEqual(['verify', 'restore', 'start']);
    for (const action of [sleep, wake]) {
      const parent = spans.find((s) => s.spanId === action.parentSpanId);
      expect(parent?.name).toBe(action === sleep ? 'api agents:sleep' : 'api agents:wake');
      expect(parent?.parentSpanId ?? '').toBe('');
      expect(attr(parent!, 'hive.actor')).toBe('cli');
    }
    expect([...contentTypes].some((c) => c.startsWith('POST /v1/traces application/json'))).toBe(true);
    // The same trace id on the log lines of that action.
    const lines = logLines(dataDir);
    const sleepLine = lines.find((l) => l.action === 'sleep' && l.agent === 'tr1');
    expect(sleepLine?.trace_id).toBe(sleep.traceId);
    expect(sleepLine).toMatchObject({ status: 'sleeping', actor: 'cli' });
    expect(lines.find((l) => l.action === 'wake' && l.agent === 'tr1')?.trace_id).toBe(wake.traceId);
    // The status changes inside an action are debug lines (the action's line sums them up).
    expect(lines.some((l) => l.action === 'status:sleeping')).toBe(false);
  }, 60_000);

  it('a crash is one trace: crash → detect → restart', async () => {
    await crashAndWaitForRecovery(host, 'tr1');
    const crash = await waitFor(() => spans.find((s) => s.name === 'hive.crash' && attr(s, 'hive.agent') === 'tr1'), 15_000, 100, 'the crash span');
    await waitFor(() => childrenOf(crash).length >= 2, 15_000, 100, 'detect and restart');
    expect(childrenOf(crash)).toEqual(['detect', 'restart']);
  }, 60_000);
});
