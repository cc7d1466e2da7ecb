import type { KeyboardEvent } from 'react';
import type { CombinedError } from 'urql';
import type { Market } from '../../graphql/operations';
import { ErrorMessage } from '../ErrorMessage';
import { FlashValue } from './FlashValue';
import { formatConfidence, formatPrice, marketDecimals } from './format';
import { HealthBadge } from './HealthBadge';
import { REFERENCE_HINT } from './status';

interface Props {
  markets: Market[] | undefined;
  error: CombinedError | null;
  selected: string;
  onSelect: (symbol: string) => void;
}

interface PriceCellProps {
  value: string | null;
  decimals: number;
  testId?: string;
}

function PriceCell({ value, decimals, testId }: PriceCellProps) {
  return (
    <td className="num" data-testid={testId}>
      <FlashValue value={value} text={formatPrice(value, decimals)} />
    </td>
  );
}

/** Enter / Space select a row; arrow keys, Home and End move between rows. */
function onRowKeyDown(event: KeyboardEvent<HTMLTableRowElement>, select: () => void): void {
  const row = event.currentTarget;
  const rows = Array.from(row.parentElement?.children ?? []);
  const index = rows.indexOf(row);
  const target: Record<string, Element | undefined> = {
    ArrowDown: rows[index + 1],
    ArrowUp: rows[index - 1],
    Home: rows[0],
    End: rows[rows.length - 1],
  };
  if (event.key === 'Enter' || event.key === ' ') {
    event.preventDefault();
    select();
  } else if (event.key in target) {
    event.preventDefault();
    const next = target[event.key];
    if (next instanceof HTMLElement) next.focus();
  }
}

export function MarketsTable({ markets, error, selected, onSelect }: Props) {
  return (
    <section className="card card-flush" aria-labelledby="markets-title">
      <div className="card-header">
        <h2 id="markets-title">Markets</h2>
        <span className="muted small">Perpetuals · live oracle prices</span>
      </div>
      {error ? <ErrorMessage error={error} context="Markets" /> : null}
      {markets === undefined ? (
        error ? null : <p className="muted">Loading markets…</p>
      ) : markets.length === 0 ? (
        <p className="muted">No markets.</p>
      ) : (
        <div className="table-scroll">
          <table className={error ? 'data-table markets-table stale' : 'data-table markets-table'}>
            <caption className="visually-hidden">
              All perpetual markets. Ref bid and Ref ask: {REFERENCE_HINT}. Select a row with Enter
              or Space to show its details; arrow keys move between rows.
            </caption>
            <thead>
              <tr>
                <th scope="col">Market</th>
                <th scope="col" className="num">Index</th>
                <th scope="col" className="num">Mark</th>
                <th scope="col" className="num" title={REFERENCE_HINT}>
                  <span className="has-tip">Ref bid</span>
                </th>
                <th scope="col" className="num" title={REFERENCE_HINT}>
                  <span className="has-tip">Ref ask</span>
                </th>
                <th scope="col" className="num" title="Oracle confidence in the index price">
                  <span className="has-tip">Confidence</span>
                </th>
                <th scope="col">Oracle</th>
              </tr>
            </thead>
            <tbody>
              {markets.map((market) => {
                const decimals = marketDecimals(market);
                const isSelected = market.symbol === selected;
                const select = () => onSelect(market.symbol);
                const base = market.baseAsset;
                const hasBase = base !== '' && market.symbol.startsWith(base);
                return (
                  <tr
                    key={market.symbol}
                    className={isSelected ? 'selectable selected' : 'selectable'}
                    tabIndex={0}
                    aria-current={isSelected ? 'true' : undefined}
                    onClick={select}
                    onKeyDown={(event) => onRowKeyDown(event, select)}
                    data-testid={`market-row-${market.symbol}`}
                  >
                    <th scope="row" className="symbol">
                      {hasBase ? (
                        <>
                          <span className="symbol-base">{base}</span>
                          <span className="muted">{market.symbol.slice(base.length)}</span>
                        </>
                      ) : (
                        market.symbol
                      )}
                    </th>
                    <PriceCell
                      value={market.indexPrice}
                      decimals={decimals}
                      testId={`index-price-${market.symbol}`}
                    />
                    <PriceCell
                      value={market.markPrice}
                      decimals={decimals}
                      testId={`mark-price-${market.symbol}`}
                    />
                    <PriceCell value={market.nbbo.bid} decimals={decimals} />
                    <PriceCell value={market.nbbo.ask} decimals={decimals} />
                    <td className="num">{formatConfidence(market.oracleConfidence)}</td>
                    <td>
                      <HealthBadge
                        tier={market.oracleTier}
                        healthy={market.oracleHealthy}
                        testId={`oracle-health-${market.symbol}`}
                      />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
