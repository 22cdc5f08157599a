import { defineConfig } from '@playwright/test';

/**
 * `npm run test:electron`: the GUI end to end through the real Electron app (Playwright's `_electron`).
 * Needs the Electron binary (an optional dependency that cannot be downloaded everywhere), so it is not part
 * of `npm test`; the same flow runs in Chromium against `hive serve` in test/e2e/.
 */
export default defineConfig({
  testDir: '.',
  testMatch: '*.electron.spec.ts',
  globalSetup: './global-setup.ts',
  timeout: 180_000,
  workers: 1,
  reporter: [['list']],
  outputDir: '../../test-artifacts/electron-results',
});
