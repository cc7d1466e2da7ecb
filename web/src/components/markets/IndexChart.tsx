import { useEffect, useRef, useState } from 'react';
import {
  AreaSeries,
  ColorType,
  createChart,
  type IChartApi,
  type ISeriesApi,
  type LineData,
  type UTCTimestamp,
} from 'lightweight-charts';
import { CandlesQuery, type Candle, type CandleInterval } from '../../graphql/operations';
import { ErrorMessage } from '../ErrorMessage';
import { formatPrice } from './format';
import { SAFETY_NET_MS, usePolledQuery, useTicker } from './hooks';
import { barWithTick, type Bar } from './liveCandle';

// Issue #8: history is read on load, on an interval change and every 30 s; the newest
// point follows the `ticker` subscription in between.
const REFRESH_MS = SAFETY_NET_MS;
const MINUTE_MS = 60_000;

interface Range {
  label: string;
  title: string;
  lookbackMs: number;
}

const RANGES: Record<'ONE_SECOND' | 'ONE_MINUTE', Range> = {
  ONE_SECOND: { label: '1s', title: 'Last 5 minutes, 1-second candles', lookbackMs: 5 * MINUTE_MS },
  ONE_MINUTE: { label: '1m', title: 'Last 3 hours, 1-minute candles', lookbackMs: 180 * MINUTE_MS },
};
type ChartInterval = keyof typeof RANGES & CandleInterval;

/**
 * Chart points, oldest first and strictly increasing in time. Display only:
 * the chart library needs numbers.
 */
function toPoints(candles: Candle[]): LineData<UTCTimestamp>[] {
  const points: LineData<UTCTimestamp>[] = [];
  for (const candle of candles) {
    const time = Math.floor(Date.parse(candle.start) / 1000) as UTCTimestamp;
    const value = Number(candle.close);
    const last = points[points.length - 1];
    if (!Number.isFinite(time) || !Number.isFinite(value) || (last && time <= last.time)) continue;
    points.push({ time, value });
  }
  return points;
}

/** Compact area chart of the index price: `candles` history, the newest point live from the ticker. */
export function IndexChart({ symbol, decimals }: { symbol: string; decimals: number }) {
  const [interval, setChartInterval] = useState<ChartInterval>('ONE_SECOND');
  const range = RANGES[interval];
  const { data, error } = usePolledQuery(
    CandlesQuery,
    () => {
      const now = Date.now();
      return {
        symbol,
        interval,
        from: new Date(now - range.lookbackMs).toISOString(),
        to: new Date(now + MINUTE_MS).toISOString(),
        kind: 'INDEX' as const,
      };
    },
    REFRESH_MS,
    `${symbol}|${interval}`,
  );

  const { ticker } = useTicker(symbol);
  const containerRef = useRef<HTMLDivElement>(null);
  const chartRef = useRef<IChartApi | null>(null);
  const seriesRef = useRef<ISeriesApi<'Area'> | null>(null);
  const lastBarRef = useRef<Bar | null>(null);

  useEffect(() => {
    const container = containerRef.current;
    if (!container) return;
    const styles = getComputedStyle(document.documentElement);
    const color = (name: string, fallback: string) =>
      styles.getPropertyValue(name).trim() || fallback;
    const chart = createChart(container, {
      autoSize: true,
      layout: {
        background: { type: ColorType.Solid, color: 'transparent' },
        textColor: color('--muted', '#9aa5b5'),
        fontFamily: color('--font', 'system-ui'),
        fontSize: 11,
      },
      grid: { vertLines: { color: '#1a2230' }, horzLines: { color: '#1a2230' } },
      rightPriceScale: { borderColor: color('--border', '#263041') },
      timeScale: { borderColor: color('--border', '#263041'), timeVisible: true },
      handleScroll: false,
      handleScale: false,
    });
    const accent = color('--accent', '#5aa9ff');
    seriesRef.current = chart.addSeries(AreaSeries, {
      lineColor: accent,
      lineWidth: 2,
      topColor: 'rgba(90, 169, 255, 0.28)',
      bottomColor: 'rgba(90, 169, 255, 0.02)',
      priceLineVisible: false,
    });
    chartRef.current = chart;
    return () => {
      chart.remove();
      chartRef.current = null;
      seriesRef.current = null;
    };
  }, []);

  useEffect(() => {
    seriesRef.current?.applyOptions({
      priceFormat: { type: 'price', precision: decimals, minMove: 10 ** -decimals },
    });
  }, [decimals]);

  useEffect(() => {
    chartRef.current?.applyOptions({ timeScale: { secondsVisible: interval === 'ONE_SECOND' } });
  }, [interval]);

  const candles = data?.candles;
  useEffect(() => {
    const points = candles ? toPoints(candles) : [];
    seriesRef.current?.setData(points);
    const last = points[points.length - 1];
    lastBarRef.current = last ? { time: last.time, open: last.value, high: last.value, low: last.value, close: last.value } : null;
    chartRef.current?.timeScale().fitContent();
  }, [candles]);

  const live = ticker !== null && ticker.symbol === symbol && candles !== undefined ? ticker : null;
  useEffect(() => {
    if (live === null) return;
    const bar = barWithTick(lastBarRef.current, live.indexPrice, live.time, interval);
    if (bar === null) return;
    lastBarRef.current = bar;
    seriesRef.current?.update({ time: bar.time as UTCTimestamp, value: bar.close });
  }, [live, interval]);

  const latest = live?.indexPrice ?? candles?.[candles.length - 1]?.close ?? null;
  const label = `Index price of ${symbol}. ${range.title}.${
    latest ? ` Latest ${formatPrice(latest, decimals)}.` : ''
  }`;

  return (
    <div className="chart-block">
      <div className="chart-header">
        <h3 id="index-chart-title">Index price</h3>
        <div className="segmented" role="group" aria-label="Candle interval">
          {(Object.keys(RANGES) as ChartInterval[]).map((option) => (
            <button
              key={option}
              type="button"
              aria-pressed={option === interval}
              title={RANGES[option].title}
              onClick={() => setChartInterval(option)}
            >
              {RANGES[option].label}
            </button>
          ))}
        </div>
      </div>
      {error ? <ErrorMessage error={error} context="Chart" /> : null}
      <div className="chart-frame">
        {/* A figure, not an img: the chart library puts a focusable link (its attribution) inside. */}
        <div
          ref={containerRef}
          className="chart"
          role="figure"
          aria-label={label}
          data-testid="index-chart"
        />
        {candles === undefined && !error ? (
          <p className="chart-overlay muted">Loading prices…</p>
        ) : null}
        {candles?.length === 0 ? (
          <p className="chart-overlay muted">No prices in this window yet.</p>
        ) : null}
      </div>
    </div>
  );
}
