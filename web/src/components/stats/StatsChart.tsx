import { useEffect, useRef } from 'react';
import {
  ColorType,
  HistogramSeries,
  LineSeries,
  createChart,
  type IChartApi,
  type ISeriesApi,
  type Time,
} from 'lightweight-charts';

export interface DailyPoint {
  /** YYYY-MM-DD */
  date: string;
  /** Decimal string; turned into a number for drawing only. */
  value: string | null;
}

/** A small daily line or histogram chart (lightweight-charts), described for screen readers. */
export function StatsChart({
  points,
  kind,
  label,
  color,
  testId,
}: {
  points: DailyPoint[];
  kind: 'line' | 'histogram';
  label: string;
  color: string;
  testId: string;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const chartRef = useRef<IChartApi | null>(null);
  const seriesRef = useRef<ISeriesApi<'Line'> | ISeriesApi<'Histogram'> | null>(null);

  useEffect(() => {
    const container = ref.current;
    if (!container) return;
    const chart = createChart(container, {
      autoSize: true,
      layout: { background: { type: ColorType.Solid, color: 'transparent' }, textColor: '#9aa5b5', fontSize: 11 },
      grid: { vertLines: { color: '#1a2230' }, horzLines: { color: '#1a2230' } },
      rightPriceScale: { borderColor: '#263041' },
      timeScale: { borderColor: '#263041' },
      handleScroll: false,
      handleScale: false,
    });
    seriesRef.current =
      kind === 'line'
        ? chart.addSeries(LineSeries, { color, lineWidth: 2, priceLineVisible: false })
        : chart.addSeries(HistogramSeries, { color, priceLineVisible: false });
    chartRef.current = chart;
    return () => {
      chart.remove();
      chartRef.current = null;
      seriesRef.current = null;
    };
  }, [kind, color]);

  useEffect(() => {
    const data = points
      .filter((point) => point.value !== null && Number.isFinite(Number(point.value)))
      .map((point) => ({ time: point.date as Time, value: Number(point.value) }));
    seriesRef.current?.setData(data);
    chartRef.current?.timeScale().fitContent();
  }, [points]);

  return (
    <div className="chart-frame">
      {/* A figure, not an img: the chart library puts a focusable link (its attribution) inside. */}
      <div ref={ref} className="chart stats-chart" role="figure" aria-label={label} data-testid={testId} />
      {points.length === 0 ? <p className="chart-overlay muted">No trades in this range yet.</p> : null}
    </div>
  );
}
