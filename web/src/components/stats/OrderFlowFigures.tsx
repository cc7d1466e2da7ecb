import type { MarketStats } from '../../graphql/marketStats';
import { formatFixed } from '../trading/decimal';
import { StatsChart } from './StatsChart';

/* Order flow (seed 004 market data) and settlement finality and downtime (operational
   transparency), from the MarketStats query. Daily aggregates only: no single order. */

function usdt(value: string | null | undefined): string {
  return value == null ? '—' : `${formatFixed(value, 2)} USDT`;
}

/** A mean wait, in the unit a reader takes in at a glance. */
function waited(seconds: number | null | undefined): string {
  if (seconds == null) return '—';
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 120) return `${seconds.toFixed(1)} s`;
  if (seconds < 7_200) return `${(seconds / 60).toFixed(1)} min`;
  return `${(seconds / 3_600).toFixed(1)} h`;
}

function seconds(value: number | null | undefined): string | null {
  return value == null ? null : String(value);
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

export function OrderFlowCard({ stats, scope }: { stats: MarketStats | undefined; scope: string }) {
  const flow = stats?.marketData.orderFlow;
  const daily = stats?.marketData.daily ?? [];
  const markets = stats?.marketData.symbols ?? [];
  return (
    <section className="card" aria-labelledby="stats-order-flow" data-testid="stats-order-flow">
      <div className="card-header">
        <h2 id="stats-order-flow">Order flow</h2>
        <span className="muted small">Orders accepted per UTC day; no single order is shown</span>
      </div>
      {flow === undefined ? (
        <p className="muted">Loading order flow…</p>
      ) : (
        <>
          <dl className="metrics">
            <Metric label="Orders accepted" value={String(flow.orders)} testId="stats-orders" />
            <Metric label="Liquidity submitted" value={usdt(flow.liquiditySubmitted)} testId="stats-liquidity" />
            <Metric label="Average order size" value={usdt(flow.averageOrderSize)} />
            <Metric
              label="Average time to first fill"
              value={waited(flow.averageTimeToFirstFillSeconds)}
              testId="stats-time-to-first-fill"
            />
            <Metric label="Average time to fill" value={waited(flow.averageTimeToFillSeconds)} testId="stats-time-to-fill" />
            <Metric label="Orders filled" value={String(flow.completeFills)} />
          </dl>
          <h3 className="chart-title">Liquidity submitted per day, USDT</h3>
          <StatsChart
            kind="histogram"
            color="#2ebd85"
            testId="stats-chart-liquidity"
            label={`Notional of the orders accepted per day, ${scope}: ${usdt(flow.liquiditySubmitted)} over ${flow.orders} orders.`}
            points={daily.map((day) => ({ date: day.date, value: day.orderFlow.liquiditySubmitted }))}
          />
          <h3 className="chart-title">Average time to fill per day, seconds</h3>
          <StatsChart
            kind="line"
            color="#f5c451"
            testId="stats-chart-time-to-fill"
            label={`Average time from acceptance to a complete fill, per day, ${scope}: ${waited(flow.averageTimeToFillSeconds)} over the range.`}
            points={daily.map((day) => ({ date: day.date, value: seconds(day.orderFlow.averageTimeToFillSeconds) }))}
          />
          {markets.length > 0 ? (
            <table className="data-table compact">
              <caption className="visually-hidden">Order flow per market</caption>
              <thead>
                <tr>
                  <th scope="col">Market</th>
                  <th scope="col" className="num">Orders</th>
                  <th scope="col" className="num">Liquidity (USDT)</th>
                  <th scope="col" className="num">Avg order (USDT)</th>
                  <th scope="col" className="num">Avg time to fill</th>
                </tr>
              </thead>
              <tbody>
                {markets.map((row) => (
                  <tr key={row.symbol}>
                    <th scope="row">{row.symbol}</th>
                    <td className="num">{row.orderFlow.orders}</td>
                    <td className="num">{formatFixed(row.orderFlow.liquiditySubmitted, 2)}</td>
                    <td className="num">{row.orderFlow.averageOrderSize == null ? '—' : formatFixed(row.orderFlow.averageOrderSize, 2)}</td>
                    <td className="num">{waited(row.orderFlow.averageTimeToFillSeconds)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
        </>
      )}
    </section>
  );
}

/** Settlement finality, failed attempts and downtime, inside the operations card. */
export function SettlementAndDowntime({ stats }: { stats: MarketStats | undefined }) {
  const operations = stats?.operations;
  if (operations === undefined) return null;
  return (
    <>
      <dl className="metrics">
        <Metric
          label="Average settlement finality"
          value={waited(operations.averageSettlementFinalitySeconds)}
          testId="stats-settlement-finality"
        />
        <Metric label="Batches confirmed in range" value={String(operations.confirmedBatches)} />
        <Metric label="Failed settlement attempts" value={String(operations.failedSettlementAttempts)} />
        <Metric
          label="Downtime in range"
          value={operations.outages === 0 ? 'None' : `${waited(operations.downtimeSeconds)} (${operations.outages} outage${operations.outages === 1 ? '' : 's'})`}
          testId="stats-downtime"
        />
        <Metric
          label="Availability"
          value={operations.uptimePercent == null ? '—' : `${formatFixed(operations.uptimePercent, 3)}%`}
          testId="stats-availability"
        />
      </dl>
      <h3 className="chart-title">Settlement finality per day, seconds</h3>
      <StatsChart
        kind="line"
        color="#5aa9ff"
        testId="stats-chart-finality"
        label={`Average time from a settlement batch being sealed to its confirmation on chain, per day: ${waited(operations.averageSettlementFinalitySeconds)} over the range.`}
        points={operations.dailySettlement.map((day) => ({ date: day.date, value: seconds(day.averageFinalitySeconds) }))}
      />
    </>
  );
}
