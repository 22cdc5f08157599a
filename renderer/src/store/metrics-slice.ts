import type { StateCreator } from 'zustand';
import type { LiveMetrics, MetricsSeries, SystemInfo } from '../../../shared/contract/index';

export interface MetricsSlice {
  metrics: {
    series: MetricsSeries | null;
    loading: boolean;
    error: string | null;
    loadedAt: number | null;
    system: SystemInfo | null;
    /** The host's counters (what /metrics serves): bus latency, conflicts, resolver, scrape config. */
    live: LiveMetrics | null;
  };
}

export const createMetricsSlice: StateCreator<MetricsSlice, [], [], MetricsSlice> = () => ({
  metrics: { series: null, loading: false, error: null, loadedAt: null, system: null, live: null },
});
