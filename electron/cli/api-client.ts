import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ChannelName, Req, Res } from '../../shared/contract/index.js';
import { API_PREFIX, HOST_FILE, TOKEN_FILE } from '../../shared/contract/wire.js';
import { HiveError } from '../../shared/errors.js';

export interface HostInfo {
  url: string;
  port: number;
  pid: number;
  startedAt: string;
}

/** Talks to a running host over HTTP. Found through the data dir (`host.json` + `api.token`). */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string,
  ) {}

  static fromDataDir(dataDir: string): ApiClient {
    // An agent inside the hive gets HIVE_URL and HIVE_TOKEN. The files win when they name a live host: an
    // agent outlives its host, and the next host may listen on another port (HIVE_URL is then stale).
    // The variables serve where the files cannot be read (the container case) or name no live host.
    const fromEnv = process.env.HIVE_URL && process.env.HIVE_TOKEN && process.env.HIVE_DATA_DIR === dataDir ? new ApiClient(process.env.HIVE_URL, process.env.HIVE_TOKEN) : null;
    let host: HostInfo;
    let token: string;
    try {
      host = JSON.parse(readFileSync(path.join(dataDir, HOST_FILE), 'utf8')) as HostInfo;
      token = readFileSync(path.join(dataDir, TOKEN_FILE), 'utf8').trim();
    } catch {
      if (fromEnv) return fromEnv;
      throw new HiveError(
        'HOST_NOT_RUNNING',
        `No Agent Hive host is running for ${dataDir}. Start one with \`hive serve --data-dir ${dataDir}\` or open the app.`,
      );
    }
    if (!isAlive(host.pid)) {
      if (fromEnv) return fromEnv;
      throw new HiveError(
        'HOST_NOT_RUNNING',
        `The Agent Hive host for ${dataDir} (pid ${host.pid}) is not running any more. Start one with \`hive serve --data-dir ${dataDir}\`.`,
      );
    }
    return new ApiClient(host.url, token);
  }

  async invoke<C extends ChannelName>(channel: C, payload: Req<C>, opts: { timeoutMs?: number } = {}): Promise<Res<C>> {
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${API_PREFIX}${channel}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${this.token}`,
          'x-hive-actor': process.env.HIVE_AGENT ? `agent:${process.env.HIVE_AGENT}` : 'cli',
        },
        body: JSON.stringify(payload ?? {}),
        signal: AbortSignal.timeout(opts.timeoutMs ?? 120_000),
      });
    } catch (err) {
      // A host that is there but slow (a stop waiting out a long kill timeout, a merge's check command) is
      // not "not running": saying so sent people to start a second host (HOST_LOCKED) or retry (AGENT_EXISTS).
      // (Node's fetch also gives up on response headers after 300 s, whatever the signal allows.)
      const e = err as Error & { cause?: { code?: string } };
      if (e.name === 'TimeoutError' || e.cause?.code === 'UND_ERR_HEADERS_TIMEOUT') {
        const ms = Math.min(opts.timeoutMs ?? 120_000, 300_000);
        const waited = (ms / 1000).toFixed(ms < 10_000 ? 1 : 0);
        throw new HiveError(
          'HOST_TIMEOUT',
          `The Agent Hive host at ${this.baseUrl} did not answer ${channel} within ${waited} s. It may still be doing it: check with \`hive agents list\` or \`hive events\` before asking again.`,
        );
      }
      throw new HiveError(
        'HOST_NOT_RUNNING',
        `Could not reach the Agent Hive host at ${this.baseUrl} (${e.message}). Is \`hive serve\` running?`,
      );
    }
    const body = (await res.json().catch(() => null)) as { result?: unknown; error?: { code: string; message: string } } | null;
    if (!body) throw new HiveError('INTERNAL', `The host answered ${res.status} with no JSON body.`);
    if (body.error) throw HiveError.fromPayload(body.error as never);
    return body.result as Res<C>;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
