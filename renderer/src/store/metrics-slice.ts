import type { StateCreator } from 'zustand';
import type { MetricsSeries, SystemInfo } from '../../../shared/contract/index';

export interface MetricsSlice {
  metrics: {
    series: MetricsSeries | null;
    loading: boolean;
    error: string | null;
    loadedAt: number | null;
    system: SystemInfo | null;
  };
}

export const createMetricsSlice: StateCreator<MetricsSlice, [], [], MetricsSlice> = () => ({
  metrics: { series: null, loading: false, error: null, loadedAt: null, system: null },
});
