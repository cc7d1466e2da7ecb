import { useEffect, useId, useRef, useState } from 'react';
import {
  CandlestickSeries,
  ColorType,
  HistogramSeries,
  LineSeries,
  createChart,
  type CandlestickData,
  type HistogramData,
  type IChartApi,
  type ISeriesApi,
  type LineData,
  type UTCTimestamp,
} from 'lightweight-charts';
import { OhlcvQuery, type Ohlcv } from '../../graphql/advanced';
import type { CandleInterval } from '../../graphql/operations';
import { ErrorMessage } from '../ErrorMessage';
import { formatPrice } from '../markets/format';
import { SAFETY_NET_MS, usePolledQuery, useTicker } from '../markets/hooks';
import { barWithTick, type Bar } from '../markets/liveCandle';
import { ema, sma, type Point } from './indicators';

// Issue #8: history is read on load, on an interval change and every 30 s; the newest
// candle follows the `ticker` subscription's mark in between (its volume waits for the read).
const REFRESH_MS = SAFETY_NET_MS;
const MINUTE_MS = 60_000;
const SMA_PERIOD = 20;
const EMA_PERIOD = 50;

const INTERVALS: ReadonlyArray<{ value: CandleInterval; label: string; lookbackMs: number }> = [
  { value: 'ONE_SECOND', label: '1s', lookbackMs: 10 * MINUTE_MS },
  { value: 'ONE_MINUTE', label: '1m', lookbackMs: 300 * MINUTE_MS },
  { value: 'FIVE_MINUTES', label: '5m', lookbackMs: 1_500 * MINUTE_MS },
  { value: 'ONE_HOUR', label: '1h', lookbackMs: 1_500 * 60 * MINUTE_MS },
];

const UP = '#2ebd85';
const DOWN = '#f0616d';

interface Series {
  candles: CandlestickData<UTCTimestamp>[];
  volume: HistogramData<UTCTimestamp>[];
  closes: Point[];
}

/** Numbers for the chart, oldest first, strictly increasing in time (display only). */
function toSeries(rows: Ohlcv[]): Series {
  const series: Series = { candles: [], volume: [], closes: [] };
  let last = -Infinity;
  for (const row of rows) {
    const time = Math.floor(Date.parse(row.start) / 1000) as UTCTimestamp;
    const [open, high, low, close, volume] = [row.open, row.high, row.low, row.close, row.volume].map(Number);
    if (![time, open, high, low, close].every(Number.isFinite) || time <= last) continue;
    last = time;
    series.candles.push({ time, open: open!, high: high!, low: low!, close: close! });
    series.volume.push({
      time,
      value: Number.isFinite(volume) ? volume! : 0,
      color: close! >= open! ? 'rgba(46, 189, 133, 0.45)' : 'rgba(240, 97, 109, 0.45)',
    });
    series.closes.push({ time, value: close! });
  }
  return series;
}

const asLine = (points: Point[]) => points as LineData<UTCTimestamp>[];

/** Candlesticks of the mark price with SMA 20, EMA 50 and volume (Advanced mode). */
export function CandleChart({ symbol, decimals }: { symbol: string; decimals: number }) {
  const titleId = useId();
  const [interval, setChartInterval] = useState<CandleInterval>('ONE_SECOND');
  const [shown, setShown] = useState({ sma: true, ema: true, volume: true });
  const lookback = INTERVALS.find((option) => option.value === interval)?.lookbackMs ?? 10 * MINUTE_MS;
  const { data, error } = usePolledQuery(
    OhlcvQuery,
    () => {
      const now = Date.now();
      return {
        symbol,
        interval,
        from: new Date(now - lookback).toISOString(),
        to: new Date(now + MINUTE_MS).toISOString(),
        kind: 'MARK' as const,
      };
    },
    REFRESH_MS,
    `ohlcv|${symbol}|${interval}`,
  );

  const { ticker } = useTicker(symbol);
  const lastBarRef = useRef<Bar | null>(null);
  const containerRef = useRef<HTMLDivElement>(null);
  const chartRef = useRef<IChartApi | null>(null);
  const candleRef = useRef<ISeriesApi<'Candlestick'> | null>(null);
  const volumeRef = useRef<ISeriesApi<'Histogram'> | null>(null);
  const smaRef = useRef<ISeriesApi<'Line'> | null>(null);
  const emaRef = useRef<ISeriesApi<'Line'> | null>(null);

  useEffect(() => {
    const container = containerRef.current;
    if (!container) return;
    const chart = createChart(container, {
      autoSize: true,
      layout: {
        background: { type: ColorType.Solid, color: 'transparent' },
        textColor: '#9aa5b5',
        fontSize: 11,
      },
      grid: { vertLines: { color: '#1a2230' }, horzLines: { color: '#1a2230' } },
      rightPriceScale: { borderColor: '#263041' },
      timeScale: { borderColor: '#263041', timeVisible: true, secondsVisible: true },
    });
    candleRef.current = chart.addSeries(CandlestickSeries, {
      upColor: UP,
      downColor: DOWN,
      borderVisible: false,
      wickUpColor: UP,
      wickDownColor: DOWN,
    });
    volumeRef.current = chart.addSeries(HistogramSeries, {
      priceScaleId: 'volume',
      priceFormat: { type: 'volume' },
      lastValueVisible: false,
      priceLineVisible: false,
    });
    chart.priceScale('volume').applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
    smaRef.current = chart.addSeries(LineSeries, {
      color: '#f5c451',
      lineWidth: 1,
      lastValueVisible: false,
      priceLineVisible: false,
    });
    emaRef.current = chart.addSeries(LineSeries, {
      color: '#5aa9ff',
      lineWidth: 1,
      lastValueVisible: false,
      priceLineVisible: false,
    });
    chartRef.current = chart;
    return () => {
      chart.remove();
      chartRef.current = null;
    };
  }, []);

  useEffect(() => {
    candleRef.current?.applyOptions({
      priceFormat: { type: 'price', precision: decimals, minMove: 10 ** -decimals },
    });
  }, [decimals]);

  const rows = data?.candles;
  useEffect(() => {
    const series = toSeries(rows ?? []);
    candleRef.current?.setData(series.candles);
    volumeRef.current?.setData(shown.volume ? series.volume : []);
    smaRef.current?.setData(shown.sma ? asLine(sma(series.closes, SMA_PERIOD)) : []);
    emaRef.current?.setData(shown.ema ? asLine(ema(series.closes, EMA_PERIOD)) : []);
    lastBarRef.current = series.candles[series.candles.length - 1] ?? null;
  }, [rows, shown]);

  const live = ticker !== null && ticker.symbol === symbol && rows !== undefined ? ticker : null;
  useEffect(() => {
    if (live === null) return;
    const bar = barWithTick(lastBarRef.current, live.markPrice, live.time, interval);
    if (bar === null) return;
    lastBarRef.current = bar;
    candleRef.current?.update({ ...bar, time: bar.time as UTCTimestamp });
  }, [live, interval]);

  useEffect(() => {
    chartRef.current?.timeScale().fitContent();
  }, [symbol, interval]);

  const latest = rows?.[rows.length - 1];
  const label = `Candlestick chart of the ${symbol} mark price, ${
    INTERVALS.find((option) => option.value === interval)?.label ?? ''
  } candles${latest ? `; last close ${formatPrice(latest.close, decimals)}` : ''}. Indicators: SMA ${SMA_PERIOD}, EMA ${EMA_PERIOD}, volume.`;

  return (
    <section className="card" aria-labelledby={titleId} data-testid="advanced-chart">
      <div className="chart-header">
        <h2 id={titleId}>Chart · {symbol}</h2>
        <div className="segmented" role="group" aria-label="Candle interval">
          {INTERVALS.map((option) => (
            <button
              key={option.value}
              type="button"
              aria-pressed={option.value === interval}
              onClick={() => setChartInterval(option.value)}
            >
              {option.label}
            </button>
          ))}
        </div>
      </div>
      <div className="indicator-toggles" role="group" aria-label="Indicators">
        <label className="checkbox">
          <input type="checkbox" checked={shown.sma} onChange={(e) => setShown({ ...shown, sma: e.target.checked })} />
          <span className="legend-swatch legend-sma" aria-hidden="true" /> SMA {SMA_PERIOD}
        </label>
        <label className="checkbox">
          <input type="checkbox" checked={shown.ema} onChange={(e) => setShown({ ...shown, ema: e.target.checked })} />
          <span className="legend-swatch legend-ema" aria-hidden="true" /> EMA {EMA_PERIOD}
        </label>
        <label className="checkbox">
          <input
            type="checkbox"
            checked={shown.volume}
            onChange={(e) => setShown({ ...shown, volume: e.target.checked })}
          />
          Volume
        </label>
      </div>
      {error ? <ErrorMessage error={error} context="Chart" /> : null}
      <div className="chart-frame">
        {/* A figure, not an img: the chart library puts a focusable link (its attribution) inside. */}
        <div ref={containerRef} className="chart chart-tall" role="figure" aria-label={label} data-testid="candle-chart" />
        {rows === undefined && !error ? <p className="chart-overlay muted">Loading candles…</p> : null}
        {rows?.length === 0 ? <p className="chart-overlay muted">No candles in this window yet.</p> : null}
      </div>
    </section>
  );
}
