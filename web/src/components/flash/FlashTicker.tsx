import { useId, type CSSProperties } from 'react';
import type { CombinedError } from 'urql';
import { ErrorMessage } from '../ErrorMessage';
import { formatDecimalOdds, formatProbability, sportLabel } from './format';
import type { TickerEntry } from './flashHooks';
import { flashOutcomeLabel, formatCountdown, marketPhase, takesBets } from './flashFormat';

function shareStyle(probability: string): CSSProperties {
  const share = Math.min(100, Math.max(0, Number(probability) * 100));
  return { '--share': `${Number.isFinite(share) ? share.toFixed(1) : 0}%` } as CSSProperties;
}

function TickerItem({
  entry,
  now,
  selected,
  onSelect,
}: {
  entry: TickerEntry;
  now: number;
  selected: boolean;
  onSelect: (id: string) => void;
}) {
  const titleId = useId();
  const { market } = entry;
  const phase = marketPhase(market, now);
  const open = takesBets(market, now);
  const left = Date.parse(market.deadline) - now;
  const winner = market.collapse?.winningOutcome ?? null;
  return (
    <li
      className={`flash-item${selected ? ' flash-item-selected' : ''}${entry.kind === 'PRICE' && now - entry.changedAt < 600 ? ' flash-item-moved' : ''}`}
      aria-labelledby={titleId}
      data-testid={`flash-market-${market.id}`}
      data-status={market.status}
    >
      <div className="flash-item-head">
        <span className="sport-tag">{sportLabel(market.sport)}</span>
        <span className={`status status-${phase.tone}`} data-testid={`flash-status-${market.id}`}>
          <span className="status-dot" aria-hidden="true" />
          {phase.label}
        </span>
        {open ? (
          <span className="num flash-countdown" title="Time left to bet" data-testid={`flash-countdown-${market.id}`}>
            <span className="visually-hidden">Time left </span>
            {formatCountdown(left)}
          </span>
        ) : null}
      </div>
      <h3 id={titleId} className="flash-title">
        {market.title}
      </h3>
      <ul className="flash-outcomes">
        {market.outcomes.map((outcome) => (
          <li
            key={outcome.outcome}
            className={`outcome${winner === outcome.outcome ? ' flash-winner' : ''}`}
            style={shareStyle(outcome.price)}
          >
            <span className="outcome-name">{flashOutcomeLabel(outcome.outcome)}</span>
            <span className="outcome-figures">
              <span className="num outcome-probability" data-testid={`flash-price-${market.id}-${outcome.outcome}`}>
                {formatProbability(outcome.price)}
              </span>
              <span className="num outcome-odds" title="Decimal odds before fee and price impact">
                <span className="visually-hidden">odds </span>
                {outcome.decimalOdds ?? formatDecimalOdds(outcome.price)}
              </span>
            </span>
          </li>
        ))}
      </ul>
      <div className="flash-item-foot">
        {open ? (
          <button
            type="button"
            className="btn btn-small btn-primary"
            aria-pressed={selected}
            data-testid={`flash-bet-${market.id}`}
            onClick={() => onSelect(market.id)}
          >
            {selected ? 'Betting' : 'Bet'}
            <span className="visually-hidden"> on {market.title}</span>
          </button>
        ) : null}
      </div>
    </li>
  );
}

/** The live flash markets: countdowns, odds moving in real time, a Bet button on each. */
export function FlashTicker({
  entries,
  error,
  live,
  now,
  selectedId,
  onSelect,
}: {
  entries: TickerEntry[];
  error: CombinedError | null;
  live: boolean;
  now: number;
  selectedId: string | null;
  onSelect: (id: string) => void;
}) {
  const titleId = useId();
  const open = entries.filter((entry) => takesBets(entry.market, now)).length;
  return (
    <section className="card flash-ticker" aria-labelledby={titleId} data-testid="flash-ticker">
      <div className="card-header">
        <h2 id={titleId}>Flash markets</h2>
        <span className="muted small" data-testid="flash-open-count">
          {live ? `${open} open · live` : 'paused: turn Live Mode on for moving odds'}
        </span>
      </div>
      {error ? <ErrorMessage error={error} context="Flash ticker" /> : null}
      {entries.length === 0 ? (
        <p className="muted">
          {live ? 'Waiting for flash markets: they open during live games.' : 'Live Mode is off.'}
        </p>
      ) : (
        <ul className="flash-list">
          {entries.map((entry) => (
            <TickerItem
              key={entry.market.id}
              entry={entry}
              now={now}
              selected={entry.market.id === selectedId}
              onSelect={onSelect}
            />
          ))}
        </ul>
      )}
    </section>
  );
}
