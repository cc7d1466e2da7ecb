import { useId, useState } from 'react';
import { MarketStatsQuery, type MarketStats } from '../../graphql/marketStats';
import { StatsQuery, type VenueStats } from '../../graphql/stats';
import { ErrorMessage } from '../ErrorMessage';
import { ServerTime } from '../ServerTime';
import { SAFETY_NET_MS, usePolledQuery } from '../markets/hooks';
import { formatFixed, formatQuantity } from '../trading/decimal';
import { OrderFlowCard, SettlementAndDowntime } from './OrderFlowFigures';
import { StatsChart } from './StatsChart';

const REFRESH_MS = SAFETY_NET_MS;
const DAY_MS = 86_400_000;
const DEFAULT_DAYS = 30;

function isoDay(time: number): string {
  return new Date(time).toISOString().slice(0, 10);
}

function usdt(value: string | null | undefined): string {
  return value == null ? '—' : `${formatFixed(value, 2)} USDT`;
}

function percent(value: string | null | undefined): string {
  return value == null ? '—' : `${formatFixed(value, 2)}%`;
}

function duration(seconds: number): string {
  const days = Math.floor(seconds / 86_400);
  const hours = Math.floor((seconds % 86_400) / 3_600);
  const minutes = Math.floor((seconds % 3_600) / 60);
  return days > 0 ? `${days} d ${hours} h` : hours > 0 ? `${hours} h ${minutes} min` : `${minutes} min`;
}

function Metric({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div className="metric">
      <dt>{label}</dt>
      <dd className="num" data-testid={testId}>
        {value}
      </dd>
    </div>
  );
}

/** The three sections of seed 004's stats dashboard, with a date range and a market filter. */
export function StatsDashboard() {
  const id = useId();
  const [from, setFrom] = useState(() => isoDay(Date.now() - (DEFAULT_DAYS - 1) * DAY_MS));
  const [to, setTo] = useState(() => isoDay(Date.now()));
  const [symbol, setSymbol] = useState('');
  const rangeProblem = from && to && from > to ? 'The start must be on or before the end.' : null;
  const { data, error } = usePolledQuery(
    StatsQuery,
    () => ({ from: from || null, to: to || null, symbol: symbol || null }),
    REFRESH_MS,
    `stats|${from}|${to}|${symbol}`,
    { enabled: rangeProblem === null },
  );
  const stats = data?.stats;
  // Order flow, settlement finality and downtime: a second document, polled alongside.
  const orderFlow = usePolledQuery(
    MarketStatsQuery,
    () => ({ from: from || null, to: to || null, symbol: symbol || null }),
    REFRESH_MS,
    `market-stats|${from}|${to}|${symbol}`,
    { enabled: rangeProblem === null },
  );

  return (
    <>
      <form className="stats-filters card" aria-label="Filters" onSubmit={(event) => event.preventDefault()}>
        <div className="field">
          <label htmlFor={`${id}-from`}>From (UTC day)</label>
          <input id={`${id}-from`} type="date" value={from} max={to} data-testid="stats-from" onChange={(e) => setFrom(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-to`}>To</label>
          <input id={`${id}-to`} type="date" value={to} min={from} data-testid="stats-to" onChange={(e) => setTo(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-symbol`}>Market</label>
          <select id={`${id}-symbol`} value={symbol} data-testid="stats-symbol" onChange={(e) => setSymbol(e.target.value)}>
            <option value="">All markets</option>
            {(stats?.symbols ?? []).map((option) => (
              <option key={option} value={option}>
                {option}
              </option>
            ))}
          </select>
        </div>
        {rangeProblem ? (
          <p className="field-problem" role="alert">
            {rangeProblem}
          </p>
        ) : null}
      </form>
      {error ? <ErrorMessage error={error} context="Stats" /> : null}
      {stats === undefined ? (
        error ? null : <p className="muted">Loading statistics…</p>
      ) : (
        <Sections stats={stats} more={orderFlow.data?.stats} />
      )}
    </>
  );
}

function Sections({ stats, more }: { stats: VenueStats; more: MarketStats | undefined }) {
  const quality = stats.executionQuality;
  const market = stats.marketData;
  const operations = stats.operations;
  const scope = stats.symbol ?? 'all markets';
  return (
    <div className="stats-grid">
      <section className="card" aria-labelledby="stats-execution" data-testid="stats-execution">
        <div className="card-header">
          <h2 id="stats-execution">Execution quality and savings</h2>
          <span className="muted small">Versus crossing the lit reference spread (NBBO at execution)</span>
        </div>
        <dl className="metrics">
          <Metric label="Saved by traders" value={usdt(quality.savings)} testId="stats-savings" />
          <Metric label="Price improvement" value={quality.improvementBps == null ? '—' : `${formatFixed(quality.improvementBps, 2)} bps`} />
          <Metric label="Trades compared" value={String(quality.comparedTrades)} />
          <Metric label="At or inside the spread" value={percent(quality.insideSpreadPercent)} />
        </dl>
        <h3 className="chart-title">Cumulative savings, USDT ({scope})</h3>
        <StatsChart
          kind="line"
          color="#2ebd85"
          testId="stats-chart-savings"
          label={`Cumulative savings per day, ${scope}: ${usdt(quality.savings)} in total.`}
          points={quality.daily.map((day) => ({ date: day.date, value: day.cumulativeSavings }))}
        />
        <h3 className="chart-title">Daily savings, USDT</h3>
        <StatsChart
          kind="histogram"
          color="#5aa9ff"
          testId="stats-chart-daily-savings"
          label={`Savings per day, ${scope}.`}
          points={quality.daily.map((day) => ({ date: day.date, value: day.savings }))}
        />
        {quality.recent.length > 0 ? (
          <details className="recent-executions">
            <summary>Latest executions against the reference quote</summary>
            <div className="table-scroll">
              <table className="data-table compact">
                <thead>
                  <tr>
                    <th scope="col">Time</th>
                    <th scope="col">Market</th>
                    <th scope="col">Aggressor</th>
                    <th scope="col" className="num">Price</th>
                    <th scope="col" className="num">Size</th>
                    <th scope="col" className="num">Ref bid / ask</th>
                    <th scope="col" className="num">Saved (USDT)</th>
                  </tr>
                </thead>
                <tbody>
                  {quality.recent.slice(0, 20).map((execution) => (
                    <tr key={execution.tradeId}>
                      <td className="num">
                        <ServerTime iso={execution.time} />
                      </td>
                      <td>{execution.symbol}</td>
                      <td>{execution.aggressorSide === 'BUY' ? 'Buy' : 'Sell'}</td>
                      <td className="num">{formatFixed(execution.price, 2)}</td>
                      <td className="num">{formatQuantity(execution.size)}</td>
                      <td className="num">
                        {formatFixed(execution.referenceBid, 2)} / {formatFixed(execution.referenceAsk, 2)}
                      </td>
                      <td className="num">{execution.savings == null ? '—' : formatFixed(execution.savings, 4)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </details>
        ) : null}
      </section>

      <section className="card" aria-labelledby="stats-market" data-testid="stats-market">
        <div className="card-header">
          <h2 id="stats-market">GoDark market data</h2>
          <span className="muted small">Executed trades only; resting orders stay dark</span>
        </div>
        <dl className="metrics">
          <Metric label="Matched volume" value={usdt(market.volume)} testId="stats-volume" />
          <Metric label="Trades" value={String(market.trades)} testId="stats-trades" />
          <Metric label="Buy / sell (aggressor)" value={market.buyPercent == null ? '—' : `${formatFixed(market.buyPercent, 1)}% / ${formatFixed(String(100 - Number(market.buyPercent)), 1)}%`} />
          <Metric label="Average trade size" value={usdt(market.averageTradeSize)} />
        </dl>
        <h3 className="chart-title">Matched volume per day, USDT</h3>
        <StatsChart
          kind="histogram"
          color="#5aa9ff"
          testId="stats-chart-volume"
          label={`Matched volume per day, ${scope}: ${usdt(market.volume)} over ${market.trades} trades.`}
          points={market.daily.map((day) => ({ date: day.date, value: day.volume }))}
        />
        <h3 className="chart-title">Aggressor buys, % of volume</h3>
        <StatsChart
          kind="line"
          color="#f5c451"
          testId="stats-chart-buy-ratio"
          label={`Share of volume bought by the aggressor, per day, ${scope}.`}
          points={market.daily.map((day) => ({ date: day.date, value: day.buyPercent }))}
        />
        {market.symbols.length > 0 ? (
          <table className="data-table compact">
            <caption className="visually-hidden">Per market</caption>
            <thead>
              <tr>
                <th scope="col">Market</th>
                <th scope="col" className="num">Trades</th>
                <th scope="col" className="num">Volume (USDT)</th>
                <th scope="col" className="num">Buy %</th>
                <th scope="col" className="num">Avg trade (USDT)</th>
              </tr>
            </thead>
            <tbody>
              {market.symbols.map((row) => (
                <tr key={row.symbol}>
                  <th scope="row">{row.symbol}</th>
                  <td className="num">{row.trades}</td>
                  <td className="num">{formatFixed(row.volume, 2)}</td>
                  <td className="num">{percent(row.buyPercent)}</td>
                  <td className="num">{formatFixed(row.averageTradeSize, 2)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </section>

      <OrderFlowCard stats={more} scope={scope} />

      <section className="card" aria-labelledby="stats-operations" data-testid="stats-operations">
        <div className="card-header">
          <h2 id="stats-operations">Operational transparency</h2>
        </div>
        <dl className="metrics">
          <Metric label="Fees collected (all time)" value={usdt(operations.feesCollected)} testId="stats-fees" />
          <Metric label="Trading fees in range" value={usdt(operations.tradingFees)} />
          <Metric label="Uptime" value={duration(operations.uptimeSeconds)} />
          <Metric
            label="Average API response"
            value={operations.averageApiResponseSeconds == null ? '—' : `${(operations.averageApiResponseSeconds * 1000).toFixed(1)} ms`}
          />
          <Metric
            label="Settlement lag"
            value={operations.settlementLagSeconds == null ? '—' : `${operations.settlementLagSeconds.toFixed(1)} s`}
          />
          <Metric label="Failed settlements" value={operations.failedSettlements == null ? '—' : String(operations.failedSettlements)} />
        </dl>
        {operations.settlementBatches.length > 0 ? (
          <p className="muted small">
            Settlement batches:{' '}
            {operations.settlementBatches.map((batch) => `${batch.count} ${batch.status.toLowerCase()}`).join(', ')}.
          </p>
        ) : null}
        <h3 className="chart-title">Trading fees per day, USDT</h3>
        <StatsChart
          kind="histogram"
          color="#9b8cff"
          testId="stats-chart-fees"
          label={`Trading fees per day, ${scope}: ${usdt(operations.tradingFees)} in range.`}
          points={operations.dailyFees.map((day) => ({ date: day.date, value: day.fees }))}
        />
        <SettlementAndDowntime stats={more} />
      </section>
    </div>
  );
}
