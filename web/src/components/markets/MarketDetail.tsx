import type { ReactNode } from 'react';
import { useConnectionStatus } from '../../graphql/hooks';
import type { Market } from '../../graphql/operations';
import { ErrorMessage } from '../ErrorMessage';
import { ServerTime } from '../ServerTime';
import { FlashValue } from './FlashValue';
import { formatConfidence, formatPrice, marketDecimals } from './format';
import { HealthBadge } from './HealthBadge';
import { useTicker } from './hooks';
import { IndexChart } from './IndexChart';
import { PriceSources } from './PriceSources';
import { REFERENCE_HINT } from './status';

interface StatProps {
  label: string;
  hint?: string;
  testId: string;
  children: ReactNode;
}

function Stat({ label, hint, testId, children }: StatProps) {
  return (
    <div className="stat">
      <dt>{hint ? <span className="has-tip" title={hint}>{label}</span> : label}</dt>
      <dd className="num" data-testid={testId}>
        {children}
      </dd>
    </div>
  );
}

/**
 * The selected market: live index / mark / reference quote from the `ticker`
 * subscription (the last polled market values stand in until it answers), the
 * index chart and the venues behind the index.
 */
export function MarketDetail({ symbol, market }: { symbol: string; market: Market | undefined }) {
  const { ticker, error } = useTicker(symbol);
  const connection = useConnectionStatus();
  const live = ticker !== null && error === null && connection === 'live';
  // While the subscription is failing, the polled market values are fresher than the last tick.
  const quote = (error ? market : ticker) ?? ticker ?? market;
  const decimals = marketDecimals(quote);
  const time = (quote === ticker ? ticker?.time : market?.updatedAt) ?? null;
  const price = (value: string | null | undefined) => (
    <FlashValue value={value} text={formatPrice(value, decimals)} mode="tone" />
  );

  return (
    <section className="card" aria-labelledby="market-detail-title" data-testid="market-detail">
      <div className="card-header">
        <h2 id="market-detail-title" data-testid="selected-market">
          {symbol}
        </h2>
        <div className="card-header-aside">
          <span
            className={live ? 'live-flag live-on' : 'live-flag'}
            title="Live ticker subscription"
          >
            <span className="status-dot" aria-hidden="true" />
            {live ? 'Live' : ticker ? 'Reconnecting…' : 'Connecting…'}
          </span>
          {quote ? (
            <HealthBadge
              tier={quote.oracleTier}
              healthy={quote.oracleHealthy}
              testId="detail-oracle-health"
            />
          ) : null}
        </div>
      </div>
      {error ? <ErrorMessage error={error} context="Live ticker" /> : null}
      <dl className={live ? 'stats' : 'stats stale'} key={symbol}>
        <Stat label="Index" testId="ticker-index">{price(quote?.indexPrice)}</Stat>
        <Stat label="Mark" testId="ticker-mark">{price(quote?.markPrice)}</Stat>
        <Stat label="Confidence" testId="ticker-confidence">
          {quote ? formatConfidence(quote.oracleConfidence) : '—'}
        </Stat>
        <Stat label="Ref bid" hint={REFERENCE_HINT} testId="ticker-bid">
          {price(quote?.nbbo.bid)}
        </Stat>
        <Stat label="Ref ask" hint={REFERENCE_HINT} testId="ticker-ask">
          {price(quote?.nbbo.ask)}
        </Stat>
        <Stat label="Ref mid" hint={REFERENCE_HINT} testId="ticker-mid">
          {price(quote?.nbbo.mid)}
        </Stat>
      </dl>
      <p className="muted small updated">
        Updated {time ? <ServerTime iso={time} testId="ticker-time" /> : '—'}
        {' · '}Ref = {REFERENCE_HINT}
      </p>
      <IndexChart symbol={symbol} decimals={decimals} />
      <PriceSources sources={market?.priceSources} decimals={decimals} />
    </section>
  );
}
