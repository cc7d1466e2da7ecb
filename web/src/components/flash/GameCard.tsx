import { useId, type CSSProperties } from 'react';
import type { LiveEvent, LiveMarket } from '../../graphql/operations';
import {
  formatClock,
  formatDecimalOdds,
  formatProbability,
  gameStatus,
  marketLabel,
  outcomeLabel,
  periodLabel,
  sportLabel,
  unavailableLabel,
} from './format';

function GameClock({ event }: { event: LiveEvent }) {
  const { clock } = event;
  const elapsed = formatClock(clock.elapsedSeconds);
  const remaining = formatClock(clock.remainingSeconds);
  return (
    <span className="game-clock" data-testid={`game-clock-${event.id}`}>
      <span>{periodLabel(event.sport, clock.period)}</span>
      {elapsed ? (
        <span className="num" title="Game time played">
          {elapsed}
        </span>
      ) : null}
      {remaining ? (
        <span className="num muted" title="Regulation game time left">
          {remaining} left
        </span>
      ) : null}
      {!clock.running && event.status === 'LIVE' ? <span className="muted">clock stopped</span> : null}
    </span>
  );
}

/** Bar width of an outcome's probability (display only). */
function barStyle(probability: string): CSSProperties {
  const share = Math.min(100, Math.max(0, Number(probability) * 100));
  return { '--share': `${Number.isFinite(share) ? share.toFixed(1) : 0}%` } as CSSProperties;
}

function MarketOdds({ event, market }: { event: LiveEvent; market: LiveMarket }) {
  const titleId = useId();
  const providers = market.providers.length;
  const providerText = `${providers} provider${providers === 1 ? '' : 's'}`;
  // A group, not a section: every game has a "Match winner" market, and landmarks must be unique.
  return (
    <div
      role="group"
      className={market.available ? 'odds-market' : 'odds-market odds-unavailable'}
      aria-labelledby={titleId}
      data-testid={`market-${event.id}-${market.market}`}
    >
      <div className="odds-head">
        <h4 id={titleId}>{marketLabel(market.market)}</h4>
        <span
          className="muted small"
          title={providers > 0 ? `Quoted by ${market.providers.join(', ')}` : 'No provider quotes this market right now'}
        >
          {providerText}
        </span>
      </div>
      {market.available && market.outcomes.length > 0 ? (
        <ul className="outcomes">
          {market.outcomes.map((outcome) => (
            <li key={outcome.outcome} className="outcome" style={barStyle(outcome.probability)}>
              <span className="outcome-name" title={outcomeLabel(outcome.outcome, market.market, event)}>
                {outcomeLabel(outcome.outcome, market.market, event)}
              </span>
              <span className="outcome-figures">
                <span className="num outcome-probability">{formatProbability(outcome.probability)}</span>
                <span className="num outcome-odds" title="Decimal odds (1 / probability)">
                  <span className="visually-hidden">odds </span>
                  {formatDecimalOdds(outcome.probability)}
                </span>
              </span>
            </li>
          ))}
        </ul>
      ) : (
        <p className="odds-reason">
          <span className="status-dot" aria-hidden="true" />
          {unavailableLabel(market.available ? 'SUSPENDED' : market.unavailableReason)}
        </p>
      )}
    </div>
  );
}

/** One game: teams, score, status, clock and each market's odds from the provider quorum. */
export function GameCard({ event }: { event: LiveEvent }) {
  const titleId = useId();
  const status = gameStatus(event.status);
  const stale = event.freshProviders.length === 0;
  return (
    <article className="card game-card" aria-labelledby={titleId} data-testid={`game-${event.id}`}>
      <div className="game-head">
        <span className="sport-tag">{sportLabel(event.sport)}</span>
        <span className={`status status-${status.tone}`}>
          <span className="status-dot" aria-hidden="true" />
          {status.label}
        </span>
        <GameClock event={event} />
      </div>
      <h3 id={titleId} className="game-teams">
        <span className="team team-home">{event.home}</span>
        <span className="game-score num">
          <span className="visually-hidden">, score </span>
          <span data-testid={`game-score-${event.id}`}>
            {event.score.home}
            <span className="score-sep">–</span>
            {event.score.away}
          </span>
          <span className="visually-hidden">, </span>
        </span>
        <span className="team team-away">{event.away}</span>
      </h3>
      <div className="game-markets">
        {event.markets.map((market) => (
          <MarketOdds key={market.market} event={event} market={market} />
        ))}
      </div>
      <p className="muted small game-foot">
        {stale
          ? 'No provider has fresh data: odds are paused.'
          : `${event.freshProviders.length} fresh provider${event.freshProviders.length === 1 ? '' : 's'}`}
        {event.staleProviders.length > 0 ? ` · ${event.staleProviders.length} stale` : ''}
      </p>
    </article>
  );
}
