import { defineConfig } from 'vitest/config';

export default defineConfig({
  esbuild: { jsx: 'automatic' },
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    exclude: ['test/electron/**', 'node_modules/**'],
    testTimeout: 30_000,
    // CI runs on a loaded 2-core machine with real tmux, dockerd, redis and Chromium: a test that fails is
    // run once more before the run fails (both attempts are in the log). Locally a failure is final.
    retry: process.env.CI ? 1 : 0,
    hookTimeout: 60_000,
    // Integration tests start real tmux servers, redis-server and Chromium; two cores do not take more.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    reporters: ['default', './test/support/summary-reporter.ts'],
    // After the run: fails it if a tmux server, redis-server, Chromium, host, agent or container is left.
    globalSetup: ['./test/support/leak-check.ts'],
  },
});
