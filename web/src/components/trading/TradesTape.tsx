import { useId, useState } from 'react';
import { TradesQuery, TradesSubscription, type Trade } from '../../graphql/operations';
import { ErrorMessage } from '../ErrorMessage';
import { ScrollRegion } from '../ScrollRegion';
import { ServerTime } from '../ServerTime';
import { SAFETY_NET_MS, usePolledQuery } from '../markets/hooks';
import { formatFixed, formatQuantity } from './decimal';
import { useSubscriptionEvents } from './hooks';

const TAPE_LENGTH = 30;
/** The subscription carries the tape; a slow re-read heals any gap after a reconnect. */
const RESYNC_MS = SAFETY_NET_MS;

function sequenceOf(trade: Trade): number {
  return Number(/(\d+)$/.exec(trade.id)?.[1] ?? 0);
}

/** Newest first, one row per trade id (ordering only; no money arithmetic). */
function mergeTape(...lists: Trade[][]): Trade[] {
  const byId = new Map<string, Trade>();
  for (const list of lists) for (const trade of list) byId.set(trade.id, trade);
  return [...byId.values()]
    .sort((a, b) => Date.parse(b.time) - Date.parse(a.time) || sequenceOf(b) - sequenceOf(a))
    .slice(0, TAPE_LENGTH);
}

interface LiveTape {
  symbol: string;
  trades: Trade[];
}

/** The public tape of executed trades of one market: never anyone's resting orders. */
export function TradesTape({ symbol, decimals, baseAsset }: { symbol: string; decimals: number; baseAsset: string }) {
  const titleId = useId();
  const { data, error } = usePolledQuery(
    TradesQuery,
    () => ({ symbol, limit: TAPE_LENGTH }),
    RESYNC_MS,
    `tape|${symbol}`,
  );
  const [live, setLive] = useState<LiveTape>({ symbol, trades: [] });
  const liveError = useSubscriptionEvents(TradesSubscription, { symbol }, `tape|${symbol}`, (event) =>
    setLive((previous) => ({
      symbol,
      trades: mergeTape(previous.symbol === symbol ? previous.trades : [], [event.trades]),
    })),
  );
  const liveTrades = live.symbol === symbol ? live.trades : [];
  const liveIds = new Set(liveTrades.map((trade) => trade.id));
  const trades = data ? mergeTape(data.trades, liveTrades) : undefined;

  return (
    <section className="card" aria-labelledby={titleId} data-testid="trades-tape">
      <div className="card-header">
        <h2 id={titleId}>Trades · {symbol}</h2>
        <span className="muted small">Public tape of executed trades</span>
      </div>
      {error ? <ErrorMessage error={error} context="Trades" /> : null}
      {liveError && !error ? <ErrorMessage error={liveError} context="Live trades" /> : null}
      {trades === undefined ? (
        error ? null : <p className="muted">Loading trades…</p>
      ) : trades.length === 0 ? (
        <p className="muted">No trades in {symbol} yet.</p>
      ) : (
        <ScrollRegion className="tape-scroll" label={`Trades table · ${symbol}`}>
          <table className="data-table compact tape" aria-labelledby={titleId}>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col" className="num">Price</th>
                <th scope="col" className="num">Size ({baseAsset})</th>
                <th scope="col">
                  <span className="has-tip" title="The side of the order that arrived and took liquidity">
                    Aggressor
                  </span>
                </th>
              </tr>
            </thead>
            <tbody>
              {trades.map((trade) => {
                const buy = trade.aggressorSide === 'BUY';
                return (
                  <tr key={trade.id} className={liveIds.has(trade.id) ? 'tape-new' : undefined}>
                    <td className="num">
                      <ServerTime iso={trade.time} />
                    </td>
                    <td className={buy ? 'num tone-up' : 'num tone-down'}>{formatFixed(trade.price, decimals)}</td>
                    <td className="num">{formatQuantity(trade.size)}</td>
                    <td className={buy ? 'tone-up' : 'tone-down'}>{buy ? 'Buy' : 'Sell'}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </ScrollRegion>
      )}
    </section>
  );
}
