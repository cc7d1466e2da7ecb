import { useId, useState } from 'react';
import { useMutation, type CombinedError } from 'urql';
import { describeError } from '../../graphql/errors';
import { CancelOrderMutation, type Market, type Order } from '../../graphql/operations';
import { ErrorMessage } from '../ErrorMessage';
import { ServerTime } from '../ServerTime';
import { marketDecimals } from '../markets/format';
import { formatFixed, formatQuantity } from './decimal';
import { notifyTradingActivity } from './hooks';
import { humanize } from './messages';
import { ResultMessage } from './ResultMessage';
import { describeUserError, type ActionResult } from './results';

interface Props {
  orders: Order[] | undefined;
  error: CombinedError | null;
  markets: Market[] | undefined;
}

/** The trader's resting orders (hidden in the dark book), each with a Cancel button. */
export function OpenOrdersCard({ orders, error, markets }: Props) {
  const titleId = useId();
  const [result, setResult] = useState<ActionResult | null>(null);
  const [cancelling, setCancelling] = useState<ReadonlySet<string>>(new Set());
  const [, cancelOrder] = useMutation(CancelOrderMutation);

  const cancel = async (order: Order) => {
    setCancelling((previous) => new Set(previous).add(order.id));
    setResult(null);
    const response = await cancelOrder({ symbol: order.symbol, orderId: order.id });
    setCancelling((previous) => {
      const next = new Set(previous);
      next.delete(order.id);
      return next;
    });
    const outcome = response.data?.cancelOrder;
    if (!outcome) {
      setResult({ tone: 'error', text: response.error ? describeError(response.error) : 'No answer from the server.' });
      return;
    }
    notifyTradingActivity();
    if (outcome.__typename === 'OrderCancelled') {
      setResult({ tone: 'success', text: `Cancelled order ${order.id} (${order.symbol}).` });
    } else {
      setResult(describeUserError(outcome));
    }
  };

  const sorted = orders ? [...orders].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt)) : undefined;

  return (
    <section className="card" aria-labelledby={titleId} data-testid="open-orders-card">
      <div className="card-header">
        <h2 id={titleId}>Open orders</h2>
        <span className="muted small">Resting hidden in the dark book · never shown to others</span>
      </div>
      {error ? <ErrorMessage error={error} context="Open orders" /> : null}
      {sorted === undefined ? (
        error ? null : <p className="muted">Loading orders…</p>
      ) : sorted.length === 0 ? (
        <p className="muted" data-testid="orders-empty">
          No open orders.
        </p>
      ) : (
        <div className="table-scroll">
          <table className="data-table" aria-labelledby={titleId}>
            <thead>
              <tr>
                <th scope="col">Updated</th>
                <th scope="col">Market</th>
                <th scope="col">Side</th>
                <th scope="col">Type</th>
                <th scope="col" className="num">Price</th>
                <th scope="col" className="num">Size</th>
                <th scope="col" className="num">Filled</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {sorted.map((order) => {
                const market = markets?.find((m) => m.symbol === order.symbol);
                const decimals = marketDecimals(market);
                const buy = order.side === 'BUY';
                const busy = cancelling.has(order.id);
                return (
                  <tr key={order.id} data-testid={`order-row-${order.id}`}>
                    <td className="num">
                      <ServerTime iso={order.updatedAt} />
                    </td>
                    <th scope="row">{order.symbol}</th>
                    <td>
                      <span className={buy ? 'side-tag side-tag-buy' : 'side-tag side-tag-sell'}>
                        {buy ? 'Buy' : 'Sell'}
                      </span>
                    </td>
                    <td>{humanize(order.type)}</td>
                    <td className="num">{order.price ? formatFixed(order.price, decimals) : 'Market'}</td>
                    <td className="num">{formatQuantity(order.size)}</td>
                    <td className="num">{formatQuantity(order.filled)}</td>
                    <td>{humanize(order.status)}</td>
                    <td className="row-actions">
                      <button
                        type="button"
                        className="btn btn-small btn-danger"
                        disabled={busy}
                        aria-label={`Cancel order ${order.id}: ${buy ? 'buy' : 'sell'} ${formatQuantity(order.remaining)} ${order.symbol}`}
                        data-testid={`order-cancel-${order.id}`}
                        onClick={() => void cancel(order)}
                      >
                        {busy ? 'Cancelling…' : 'Cancel'}
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <ResultMessage result={result} testId="orders-result" className="card-result" />
    </section>
  );
}
