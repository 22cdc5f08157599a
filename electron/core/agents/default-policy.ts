import type { RestartPolicy } from '../../../shared/contract/agents.js';

export const DEFAULT_POLICY: RestartPolicy = {
  autorestart: true,
  stopExitCodes: [0],
  initialDelayMs: 0,
  factor: 2,
  maxDelayMs: 30_000,
  minUptimeMs: 10_000,
  maxRestarts: 10,
  unstableWindowMs: 120_000,
  hangTimeoutMs: 0,
  killTimeoutMs: 5_000,
};
