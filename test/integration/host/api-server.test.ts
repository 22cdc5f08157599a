import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { channels } from '../../../shared/contract/index.js';
import { agentToken } from '../../../electron/core/agents/agent-token.js';
import { API_PREFIX, WS_PATH } from '../../../shared/contract/wire.js';
import { makeGitRepo, tempDir } from '../../support/git-repo.js';
import { CLI, hive, startHostProcess, waitFor, type HostProcess } from '../../support/host-process.js';
import { killAgentProcesses } from '../core/agent-procs.js';

/** Addresses a port listens on, from /proc/net/tcp{,6} (hex address as the kernel prints it). */
function listenAddresses(port: number): string[] {
  const out: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 4 || cols[3] !== '0A') continue; // LISTEN
      const [addr, p] = cols[1]!.split(':');
      if (parseInt(p!, 16) === port) out.push(addr!);
    }
  }
  return out;
}

function wsOpen(url: string): Promise<{ ws: WebSocket } | { refused: number | string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    ws.once('open', () => resolve({ ws }));
    ws.once('unexpected-response', (_req, res) => {
      resolve({ refused: res.statusCode ?? 'unknown' });
      ws.terminate();
    });
    ws.once('error', (err) => resolve({ refused: err.message }));
  });
}

describe('the local API of a real `hive serve`', () => {
  let dataDir: string;
  let repo: string;
  let host: HostProcess;
  beforeAll(async () => {
    dataDir = tempDir('hive-api-');
    repo = makeGitRepo();
    host = await startHostProcess(dataDir);
  });
  afterAll(async () => {
    await host?.stop();
    killAgentProcesses(dataDir);
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(repo, { recursive: true, force: true });
  });

  const post = (channel: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${host.url}${API_PREFIX}${channel}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const auth = () => ({ authorization: `Bearer ${host.token}` });

  it('binds 127.0.0.1 only and prints a loopback URL with the token', () => {
    const u = new URL(host.url);
    expect(u.hostname).toBe('127.0.0.1');
    const addrs = listenAddresses(Number(u.port));
    expect(addrs.length).toBeGreaterThan(0);
    expect(addrs.every((a) => a === '0100007F')).toBe(true); // 127.0.0.1 in /proc/net/tcp byte order
    expect(host.uiUrl).toBe(`${host.url}/?token=${host.token}`);
    const info = JSON.parse(readFileSync(`${dataDir}/host.json`, 'utf8')) as { url: string; pid: number };
    expect(info).toMatchObject({ url: host.url, pid: host.child.pid });
  });

  it('the token file is mode 0600 (and host.json too)', () => {
    expect(statSync(`${dataDir}/api.token`).mode & 0o777).toBe(0o600);
    expect(readFileSync(`${dataDir}/api.token`, 'utf8').trim()).toBe(host.token);
    expect(statSync(`${dataDir}/host.json`).mode & 0o777).toBe(0o600);
  });

  it('every channel refuses a request without the token, or with a wrong one: 401 UNAUTHORIZED', async () => {
    const names = Object.keys(channels);
    expect(names.length).toBeGreaterThan(20);
    const wrong = `${host.token.slice(0, -1)}${host.token.endsWith('A') ? 'B' : 'A'}`;
    const attempts = names.flatMap((ch) => [
      post(ch, {}),
      post(ch, {}, { authorization: `Bearer ${wrong}` }),
      post(ch, {}, { authorization: host.token }), // not "Bearer <token>"
      fetch(`${host.url}${API_PREFIX}${ch}?token=${wrong}`, { method: 'POST', body: '{}' }),
      post(ch, {}, { cookie: `hive_token=${wrong}` }),
    ]);
    const res = await Promise.all(attempts);
    for (const r of res) {
      expect(r.status).toBe(401);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
    }
    // Nothing happened: no agent was spawned by the unauthenticated spawn.
    const list = (await (await post('agents:list', {}, auth())).json()) as { result: unknown[] };
    expect(list.result).toEqual([]);
  });

  it('the UI and any other path need the token too; a foreign Host header is refused', async () => {
    for (const p of ['/', '/index.html', '/assets/x.js', WS_PATH, `${API_PREFIX}agents:list`]) {
      expect((await fetch(`${host.url}${p}`)).status, p).toBe(401);
    }
    expect((await fetch(`${host.url}/?token=${host.token}`)).status).toBe(200);
    // fetch cannot set Host; a raw request can (DNS rebinding: a page on evil.example resolving to 127.0.0.1).
    const rebinding = await new Promise<number>((resolve, reject) => {
      const u = new URL(host.url);
      const req = http.request(
        { host: u.hostname, port: Number(u.port), method: 'POST', path: `${API_PREFIX}agents:list`, headers: { ...auth(), host: 'evil.example' } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end('{}');
    });
    expect(rebinding).toBe(403);
    // The one open path is a liveness probe that says nothing else.
    const health = await fetch(`${host.url}/healthz`);
    expect(await health.json()).toEqual({ ok: true });
  });

  it('with the token: a call is answered, errors carry a stable code, bad payloads are INVALID_INPUT', async () => {
    const ok = await post('agents:list', {}, auth());
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ result: [] });
    const viaQuery = await fetch(`${host.url}${API_PREFIX}agents:list?token=${host.token}`, { method: 'POST', body: '{}' });
    expect(viaQuery.status).toBe(200);
    const missing = await post('agents:get', { name: 'ghost' }, auth());
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('AGENT_NOT_FOUND');
    const bad = await post('agents:spawn', { name: 1, repo: [] }, auth());
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('INVALID_INPUT');
    const unknown = await post('agents:explode', {}, auth());
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('UNKNOWN_CHANNEL');
    const notJson = await fetch(`${host.url}${API_PREFIX}agents:list`, { method: 'POST', headers: auth(), body: '{nope' });
    expect(notJson.status).toBe(400);
  });

  it('a WebSocket without the token (or a wrong one) is refused; with it, calls are answered and agent:status is pushed', async () => {
    const ws = host.url.replace('http:', 'ws:') + WS_PATH;
    expect(await wsOpen(ws)).toEqual({ refused: 401 });
    expect(await wsOpen(`${ws}?token=not-the-token`)).toEqual({ refused: 401 });

    const opened = await wsOpen(`${ws}?token=${host.token}`);
    if (!('ws' in opened)) throw new Error(`refused: ${opened.refused}`);
    const sock = opened.ws;
    const inbox: Record<string, unknown>[] = [];
    sock.on('message', (raw) => inbox.push(JSON.parse(String(raw)) as Record<string, unknown>));
    try {
      sock.send(JSON.stringify({ id: 7, channel: 'agents:list', payload: {} }));
      sock.send(JSON.stringify({ id: 8, channel: 'agents:get', payload: { name: 'ghost' } }));
      sock.send(JSON.stringify({ id: 9, channel: 'agents:get', payload: { name: 42 } }));
      await waitFor(() => [7, 8, 9].every((id) => inbox.some((m) => m.id === id)), 10_000, 20, 'replies');
      expect(inbox.find((m) => m.id === 7)).toEqual({ id: 7, result: [] });
      expect(inbox.find((m) => m.id === 8)).toMatchObject({ id: 8, error: { code: 'AGENT_NOT_FOUND' } });
      expect(inbox.find((m) => m.id === 9)).toMatchObject({ id: 9, error: { code: 'INVALID_INPUT' } });

      // A spawn through HTTP is pushed to the socket as agent:status events.
      const spawned = await post('agents:spawn', { name: 'pushed', repo, backend: 'process', preset: 'custom', cmd: 'sleep 600' }, auth());
      expect(spawned.status).toBe(200);
      await waitFor(() => inbox.some((m) => m.event === 'agent:status' && (m.payload as { event: { to: string } }).event.to === 'running'), 15_000, 20, 'agent:status running');
      const statuses = inbox
        .filter((m) => m.event === 'agent:status')
        .map((m) => m.payload as { agent: { name: string; status: string }; event: { from: string; to: string } });
      expect(statuses.map((s) => `${s.event.from}>${s.event.to}`)).toEqual(['registered>starting', 'starting>running']);
      expect(statuses.every((s) => s.agent.name === 'pushed')).toBe(true);
      expect(statuses.at(-1)!.agent.status).toBe('running');
      // The same socket can act: stop it and see the push.
      sock.send(JSON.stringify({ id: 10, channel: 'agents:stop', payload: { name: 'pushed' } }));
      await waitFor(() => inbox.some((m) => m.id === 10), 20_000, 20, 'the stop reply');
      expect(inbox.find((m) => m.id === 10)).toMatchObject({ result: { name: 'pushed', status: 'stopped' } });
      expect(inbox.some((m) => m.event === 'agent:status' && (m.payload as { event: { to: string } }).event.to === 'stopped')).toBe(true);
    } finally {
      sock.terminate();
    }
  }, 60_000);

  it('bad input the server itself meets gets an answer and never ends the host', async () => {
    // A WebSocket message that is JSON but not an object (`null` ended the whole host), or not JSON at all.
    const opened = await wsOpen(`${host.url.replace('http:', 'ws:')}${WS_PATH}?token=${host.token}`);
    if (!('ws' in opened)) throw new Error(`refused: ${opened.refused}`);
    const inbox: Record<string, unknown>[] = [];
    opened.ws.on('message', (raw) => inbox.push(JSON.parse(String(raw)) as Record<string, unknown>));
    try {
      for (const m of ['null', '42', '[1]', '"text"', '{nope']) opened.ws.send(m);
      opened.ws.send(JSON.stringify({ id: 11, channel: 'agents:list', payload: {} }));
      await waitFor(() => inbox.some((m) => m.id === 11), 10_000, 20, 'the reply after the bad messages');
      const errors = inbox.filter((m) => m.id === -1).map((m) => (m.error as { code: string; message: string }));
      expect(errors).toHaveLength(5);
      expect(errors.every((e) => e.code === 'INVALID_INPUT')).toBe(true);
      expect(errors[0]!.message).toMatch(/^A message is a JSON object/);
      expect(errors[4]!.message).toMatch(/^The message is not valid JSON/);
    } finally {
      opened.ws.terminate();
    }
    expect(host.child.exitCode).toBeNull();
    // A channel name that is not valid percent-encoding, a cookie that is not: 404 and 401, not a 500.
    expect((await post('%E0%A4%A', {}, auth())).status).toBe(404);
    expect((await fetch(`${host.url}${API_PREFIX}agents:list`, { method: 'POST', headers: { cookie: 'hive_token=%E0%A4%A' }, body: '{}' })).status).toBe(401);
    // A cached answer is given only to a valid request (a bad one after a good one got the good answer).
    expect((await post('agents:list', {}, auth())).status).toBe(200);
    expect((await post('agents:list', 'x', auth())).status).toBe(400);
    // Past 64 MB: a 413 that says so (the connection was reset before the client could read it).
    const big = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const u = new URL(host.url);
      const req = http.request({ host: u.hostname, port: Number(u.port), method: 'POST', path: `${API_PREFIX}agents:input`, headers: { ...auth(), 'content-type': 'application/json' } }, (res) => {
        let body = '';
        res.on('data', (d) => (body += String(d)));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      const chunk = Buffer.alloc(1024 * 1024, 'a');
      let sent = 0;
      const write = () => {
        while (sent < 70) {
          sent++;
          if (!req.write(chunk)) return void req.once('drain', write);
        }
        req.end();
      };
      write();
    });
    expect(big.status).toBe(413);
    expect(JSON.parse(big.body)).toMatchObject({ error: { code: 'INVALID_INPUT', message: 'The request body is larger than 64 MB.' } });
    expect((await post('agents:list', {}, auth())).status).toBe(200);
  }, 60_000);

  it('a page of another origin (any other local port: the cookie goes there too) can neither open the WebSocket nor POST', async () => {
    const u = new URL(host.url);
    const foreign = `http://127.0.0.1:${Number(u.port) === 1 ? 2 : 1}`;
    const ws = `${host.url.replace('http:', 'ws:')}${WS_PATH}`;
    const withOrigin = (origin: string) =>
      new Promise<number | 'open'>((resolve) => {
        const sock = new WebSocket(ws, { headers: { origin, cookie: `hive_token=${host.token}` } });
        sock.once('open', () => {
          sock.terminate();
          resolve('open');
        });
        sock.once('unexpected-response', (_req, res) => {
          resolve(res.statusCode ?? 0);
          sock.terminate();
        });
        sock.once('error', () => resolve(0));
      });
    expect(await withOrigin(foreign)).toBe(401);
    expect(await withOrigin('null')).toBe(401);
    expect(await withOrigin(host.url)).toBe('open');
    const post = (origin: string) => fetch(`${host.url}${API_PREFIX}agents:list`, { method: 'POST', headers: { origin, cookie: `hive_token=${host.token}`, 'content-type': 'text/plain' }, body: '{}' });
    const refused = await post(foreign);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/^Requests from pages of another origin/);
    expect((await post(host.url)).status).toBe(200);
  });

  it("an agent's own token (what a Docker agent gets): its channels only, as itself, never the host's powers", async () => {
    const token = agentToken(host.token, 'boxed');
    const as = (channel: string, body: unknown, actor = 'agent:boxed') =>
      fetch(`${host.url}${API_PREFIX}${channel}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'x-hive-actor': actor, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    // Allowed: answered (the agent does not exist here: 404, past the token check).
    expect((await as('agents:heartbeat', { name: 'boxed' })).status).toBe(404);
    expect((await as('agents:list', {})).status).toBe(200);
    // The host's powers: refused, with a reason.
    for (const [channel, body] of [
      ['agents:spawn', { name: 'escape', repo, backend: 'process', cmd: 'touch /tmp/escaped' }],
      ['conflicts:setSettings', { checkCommand: 'touch /tmp/escaped' }],
      ['agents:input', { name: 'other', text: 'rm -rf ~' }],
      ['engines:add', { name: 'e', url: 'unix:///var/run/docker.sock' }],
    ] as const) {
      const r = await as(channel, body);
      expect(r.status, channel).toBe(403);
      expect(((await r.json()) as { error: { message: string } }).error.message).toBe(`An agent's token cannot call ${channel}; ask a person (or the host's token) for that.`);
    }
    expect((await fetch(`${host.url}/metrics`, { headers: { authorization: `Bearer ${token}`, 'x-hive-actor': 'agent:boxed' } })).status).toBe(403);
    // Good only as the agent it was made for.
    expect((await as('agents:list', {}, 'agent:other')).status).toBe(401);
    expect((await as('agents:list', {}, 'gui')).status).toBe(401);
    // No WebSocket with it.
    expect(await wsOpen(`${host.url.replace('http:', 'ws:')}${WS_PATH}?token=${token}`)).toEqual({ refused: 401 });
  });

  it('a long-poll whose client is killed does not take the next message with it (it was acknowledged for nobody)', async () => {
    const u = new URL(host.url);
    // A client that asks for bob's inbox with a 20 s wait (ack by default), then dies.
    await new Promise<void>((resolve) => {
      const req = http.request({ host: u.hostname, port: Number(u.port), method: 'POST', path: `${API_PREFIX}msg:inbox`, headers: { ...auth(), 'content-type': 'application/json' } });
      req.on('error', () => resolve());
      req.end(JSON.stringify({ name: 'longpoller', waitMs: 20_000 }));
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 300);
    });
    await new Promise((r) => setTimeout(r, 200));
    expect((await post('msg:send', { from: 'alice', to: 'longpoller', body: 'still for you' }, auth())).status).toBe(200);
    const next = await post('msg:inbox', { name: 'longpoller' }, auth());
    expect(((await next.json()) as { result: { body: string }[] }).result.map((m) => m.body)).toEqual(['still for you']);
  });

  it('a second `hive serve` on the same data dir fails and names the first one’s pid', async () => {
    const r = await hive(dataDir, ['serve', '--port', '0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Another Agent Hive host (pid ${host.child.pid}) is already running for ${dataDir}`);
    expect(r.stderr).toContain('[HOST_LOCKED]');
    // The first host is unaffected.
    expect((await post('agents:list', {}, auth())).status).toBe(200);
    expect(JSON.parse(readFileSync(`${dataDir}/host.json`, 'utf8')).pid).toBe(host.child.pid);
  }, 60_000);
});

describe('hive serve refusals and no host', () => {
  it('--host 0.0.0.0 without --allow-remote is refused with a message, and nothing is started', async () => {
    const dir = tempDir('hive-remote-');
    try {
      const r = await hive(dir, ['serve', '--host', '0.0.0.0', '--port', '0']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/--host 0\.0\.0\.0 is not a loopback address.*--allow-remote.*\[INVALID_INPUT\]/s);
      expect(existsSync(`${dir}/host.json`)).toBe(false);
      expect(existsSync(`${dir}/hive.db`)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('--host 0.0.0.0 --allow-remote answers under the machine\'s own addresses and name, still not under a foreign name', async () => {
    const dir = tempDir('hive-remote-ok-');
    const h = await startHostProcess(dir, ['--host', '0.0.0.0', '--allow-remote']);
    try {
      const port = Number(new URL(h.url).port);
      const own = Object.values(os.networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal)?.address ?? '127.0.0.1';
      const ask = (hostHeader: string) =>
        new Promise<{ status: number; body: string }>((resolve, reject) => {
          const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: `${API_PREFIX}agents:list`, headers: { authorization: `Bearer ${h.token}`, host: hostHeader } }, (res) => {
            let body = '';
            res.on('data', (d) => (body += String(d)));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          });
          req.on('error', reject);
          req.end('{}');
        });
      expect((await ask(`${own}:${port}`)).status).toBe(200);
      expect((await ask(`${os.hostname()}:${port}`)).status).toBe(200);
      const foreign = await ask(`evil.example:${port}`);
      expect(foreign.status).toBe(403);
      expect(JSON.parse(foreign.body).error.message).toContain(own);
    } finally {
      await h.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('CLI commands with no host running: a clear message and exit code 3', async () => {
    const dir = tempDir('hive-nohost-');
    try {
      const results = await Promise.all([
        hive(dir, ['agents', 'list']),
        hive(dir, ['agents', 'list', '--json']),
        hive(dir, ['events']),
        hive(dir, ['heartbeat', '--agent', 'x']),
        hive(dir, ['snapshots', 'list', 'x']),
        // No --data-dir: found through HIVE_DATA_DIR.
        new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
          execFile(process.execPath, [CLI, 'agents', 'list'], { env: { ...process.env, HIVE_DATA_DIR: dir } }, (err, stdout, stderr) =>
            resolve({ code: err ? Number((err as { code?: number }).code) : 0, stdout, stderr }),
          ),
        ),
      ]);
      for (const r of results) {
        expect(r.code).toBe(3);
        expect(r.stdout).toBe('');
        expect(r.stderr).toMatch(/^hive: No Agent Hive host is running for .*Start one with `hive serve --data-dir .*\[HOST_NOT_RUNNING\]\n$/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
