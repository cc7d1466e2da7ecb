import { useState } from 'react';
import { compareForDisplay } from './format';

type Direction = 'up' | 'down';

interface Tick {
  direction: Direction | null;
  count: number;
}

/**
 * Shows `text` and flashes green / red briefly when `value` ticks up / down
 * (the span is re-keyed on every tick so the CSS animation restarts). For
 * feeds that tick many times a second, `tone` colours the text by the last
 * direction instead of flashing.
 */
export function FlashValue({
  value,
  text,
  mode = 'flash',
}: {
  value: string | null | undefined;
  text: string;
  mode?: 'flash' | 'tone';
}) {
  const [previous, setPrevious] = useState(value);
  const [tick, setTick] = useState<Tick>({ direction: null, count: 0 });

  if (value !== previous) {
    setPrevious(value);
    const change = value != null && previous != null ? compareForDisplay(value, previous) : 0;
    if (change !== 0) {
      setTick({ direction: change > 0 ? 'up' : 'down', count: tick.count + 1 });
    }
  }

  if (mode === 'tone') {
    return <span className={tick.direction ? `tone-${tick.direction}` : undefined}>{text}</span>;
  }
  return (
    <span key={tick.count} className={tick.direction ? `flash flash-${tick.direction}` : 'flash'}>
      {text}
    </span>
  );
}
