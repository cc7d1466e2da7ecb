/*
 * Chart indicators. Display only: the chart library takes floating point numbers, and
 * nothing computed here is ever sent back as a price or an amount.
 */

export interface Point {
  time: number;
  value: number;
}

/** Simple moving average of the last `period` closes (from the `period`-th point on). */
export function sma(closes: readonly Point[], period: number): Point[] {
  const out: Point[] = [];
  let sum = 0;
  closes.forEach((point, i) => {
    sum += point.value;
    const old = closes[i - period];
    if (old) sum -= old.value;
    if (i >= period - 1) out.push({ time: point.time, value: sum / period });
  });
  return out;
}

/** Exponential moving average, seeded with the SMA of the first `period` closes. */
export function ema(closes: readonly Point[], period: number): Point[] {
  const out: Point[] = [];
  const k = 2 / (period + 1);
  let value: number | null = null;
  let seed = 0;
  closes.forEach((point, i) => {
    if (value === null) {
      seed += point.value;
      if (i === period - 1) {
        value = seed / period;
        out.push({ time: point.time, value });
      }
      return;
    }
    value = point.value * k + value * (1 - k);
    out.push({ time: point.time, value });
  });
  return out;
}
