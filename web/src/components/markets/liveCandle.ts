/*
 * The chart's newest candle follows the ticker between (rare) candle history reads
 * (issue #8). Display only: the chart library works in numbers, not Decimal strings.
 */
import type { CandleInterval } from '../../graphql/operations';

export const INTERVAL_SECONDS: Record<CandleInterval, number> = {
  ONE_SECOND: 1,
  ONE_MINUTE: 60,
  FIVE_MINUTES: 300,
  ONE_HOUR: 3_600,
};

export interface Bar {
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
}

/**
 * The bar a tick at `iso` of `price` makes of `last`: the same bar moved, or a new one
 * opening at the price; null when the tick is unusable or older than `last`.
 */
export function barWithTick(
  last: Bar | null,
  price: string | null | undefined,
  iso: string,
  interval: CandleInterval,
): Bar | null {
  const value = Number(price);
  const seconds = INTERVAL_SECONDS[interval];
  const time = Math.floor(Date.parse(iso) / 1000 / seconds) * seconds;
  if (price == null || !Number.isFinite(value) || !Number.isFinite(time)) return null;
  if (last !== null && time < last.time) return null;
  if (last !== null && time === last.time) {
    return { ...last, high: Math.max(last.high, value), low: Math.min(last.low, value), close: value };
  }
  return { time, open: value, high: value, low: value, close: value };
}
