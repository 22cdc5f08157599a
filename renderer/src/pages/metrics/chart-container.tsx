import { useEffect, useRef, useState, type ReactElement } from 'react';

/** Series key → label and colour, shared by a chart and its legend. */
export type ChartConfig = Record<string, { label: string; color: string }>;

/**
 * Measures its own width and hands it to the chart, so chart components take data as props and never need
 * the store, the API or recharts' ResponsiveContainer.
 */
export function ChartContainer({
  title,
  subtitle,
  config,
  height = 220,
  empty,
  children,
}: {
  title: string;
  /** A line of numbers under the title (quantiles, totals). */
  subtitle?: string;
  config: ChartConfig;
  height?: number;
  empty?: string | null;
  children: (size: { width: number; height: number }) => ReactElement;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(560);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const measure = (): void => setWidth(Math.max(200, Math.floor(el.getBoundingClientRect().width) || 560));
    measure();
    if (typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  return (
    <figure className="chart-card" aria-label={title}>
      <figcaption className="chart-title">
        {title}
        <span className="chart-legend">
          {Object.entries(config).map(([k, v]) => (
            <span key={k} className="legend-item">
              <span className="legend-swatch" style={{ background: v.color }} />
              {v.label}
            </span>
          ))}
        </span>
      </figcaption>
      {subtitle && <div className="chart-subtitle">{subtitle}</div>}
      <div ref={ref} className="chart-body" style={{ height }}>
        {empty ? <div className="chart-empty">{empty}</div> : children({ width, height })}
      </div>
    </figure>
  );
}
