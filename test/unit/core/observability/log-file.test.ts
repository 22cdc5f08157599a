import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { logFiles, openLogFile, parseLogLevel } from '../../../../electron/core/observability/log-file.js';
import { HiveMetrics } from '../../../../electron/core/observability/metrics.js';
import { tempDir } from '../../../support/git-repo.js';

describe('host log file', () => {
  it('rotates by size to hive.1.log … and keeps at most maxFiles, every line whole JSON', async () => {
    const dataDir = tempDir('hive-log-');
    const log = openLogFile({ dataDir, level: 'info', maxBytes: 4096, maxFiles: 3 });
    for (let i = 0; i < 400; i++) {
      log.logger.info({ agent: 'a1', action: 'test', i }, 'line');
      // Let the async destination write and the rotation run between bursts.
      if (i % 20 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    await log.close();
    const names = readdirSync(path.join(dataDir, 'logs')).sort();
    expect(names).toEqual(['hive.1.log', 'hive.2.log', 'hive.log']);
    const files = logFiles(dataDir);
    expect(files.map((f) => path.basename(f))).toEqual(['hive.2.log', 'hive.1.log', 'hive.log']);
    const numbers = files.flatMap((f) => readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { i: number }).i));
    // Oldest first and in order; the last line written is the last line read.
    expect(numbers.at(-1)).toBe(399);
    expect([...numbers].sort((a, b) => a - b)).toEqual(numbers);
    expect(existsSync(path.join(dataDir, 'logs', 'hive.3.log'))).toBe(false);
  });

  it('masks secrets in the finished line and filters by level', async () => {
    const dataDir = tempDir('hive-log-');
    const log = openLogFile({ dataDir, level: 'warn', mask: (l) => l.split('s3cr3t-value').join('***') });
    log.logger.info({ action: 'x' }, 'not written at warn');
    log.logger.warn({ url: 'redis://u:s3cr3t-value@h:6379' }, 'key s3cr3t-value');
    await log.close();
    const text = readFileSync(path.join(dataDir, 'logs', 'hive.log'), 'utf8');
    expect(text).not.toContain('s3cr3t-value');
    expect(text).not.toContain('not written');
    expect(JSON.parse(text.trim())).toMatchObject({ level: 40, msg: 'key ***', url: 'redis://u:***@h:6379' });
  });

  it('refuses an unknown level with the list of levels', () => {
    expect(parseLogLevel(' DEBUG ', 'x')).toBe('debug');
    expect(() => parseLogLevel('loud', 'HIVE_LOG_LEVEL')).toThrow(/HIVE_LOG_LEVEL is "loud"; give one of fatal, error, warn, info, debug, trace, silent/);
  });
});

describe('metrics', () => {
  it('drops an agent’s restart series when it is removed, and estimates bus quantiles like histogram_quantile', async () => {
    const m = new HiveMetrics({ agents: () => [], busBacklog: () => 3, conflicts: () => [] }, { processMetrics: false });
    m.restarted('a1', 'killed');
    m.restarted('a1', 'manual');
    m.restarted('a2', 'exit');
    expect(await m.text()).toContain('hive_agent_restarts_total{agent="a1",reason="killed"} 1');
    m.forgetAgent('a1');
    const text = await m.text();
    expect(text).not.toContain('agent="a1"');
    expect(text).toContain('hive_agent_restarts_total{agent="a2",reason="exit"} 1');
    expect(text).toContain('hive_bus_backlog 3');
    // 100 deliveries: 50 in (0, 1 ms], 49 in (1, 2.5 ms], 1 in (25, 50 ms].
    for (let i = 0; i < 50; i++) m.busDelivery.observe(0.0005);
    for (let i = 0; i < 49; i++) m.busDelivery.observe(0.002);
    m.busDelivery.observe(0.03);
    const s = await m.busSummary();
    expect(s.delivered).toBe(100);
    expect(s.p50Ms).toBeCloseTo(1, 5);
    expect(s.p99Ms).toBeCloseTo(2.5, 5);
    expect(s.latency.find((b) => b.bucket === '≤ 50 ms')?.count).toBe(1);
    expect(s.latency.reduce((a, b) => a + b.count, 0)).toBe(100);
  });
});
