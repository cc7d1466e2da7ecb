import { useId, useState, type FormEvent } from 'react';
import { useMutation } from 'urql';
import { useSession } from '../../auth/AuthProvider';
import { AmendOrderMutation, CancelAllOrdersMutation, OrdersByStatusQuery, type OrderStatusFilter } from '../../graphql/advanced';
import { privatePollingClient } from '../../graphql/client';
import { describeError } from '../../graphql/errors';
import { CancelOrderMutation, OrderUpdatesSubscription, type Market, type Order } from '../../graphql/operations';
import { ErrorMessage } from '../ErrorMessage';
import { ServerTime } from '../ServerTime';
import { marketDecimals } from '../markets/format';
import { SAFETY_NET_MS, usePolledQuery } from '../markets/hooks';
import { cmp, formatFixed, formatQuantity, parseDec, toPlain } from '../trading/decimal';
import { notifyTradingActivity, useSubscriptionEvents, useTradingActivity } from '../trading/hooks';
import { humanize, orderReason } from '../trading/messages';
import { ResultMessage } from '../trading/ResultMessage';
import { describeUserError, type ActionResult } from '../trading/results';
import { ToggleGroup } from '../trading/ToggleGroup';

// Issue #8: history is re-read when one of the orders changes (`orderUpdates`), after a
// mutation here, and every 30 s as a safety net.
const HISTORY_REFRESH_MS = SAFETY_NET_MS;
const NO_SUBSCRIPTION_VARIABLES = {};
type Tab = 'OPEN' | 'CLOSED' | 'ALL';

/** Working orders (cancel, amend down) and order history, in one card with tabs. */
export function WorkingOrders({
  orders,
  markets,
  symbol,
}: {
  orders: Order[] | undefined;
  markets: Market[] | undefined;
  symbol: string;
}) {
  const titleId = useId();
  const [tab, setTab] = useState<Tab>('OPEN');
  const [result, setResult] = useState<ActionResult | null>(null);
  const [amending, setAmending] = useState<string | null>(null);
  const [, cancelOrder] = useMutation(CancelOrderMutation);
  const [{ fetching: cancellingAll }, cancelAll] = useMutation(CancelAllOrdersMutation);
  const accountId = useSession()?.accountId ?? '';
  const history = usePolledQuery(
    OrdersByStatusQuery,
    () => ({ status: (tab === 'OPEN' ? 'CLOSED' : tab) as OrderStatusFilter }),
    HISTORY_REFRESH_MS,
    `history|${tab}|${accountId}`,
    { client: privatePollingClient, enabled: tab !== 'OPEN' && accountId !== '' },
  );
  useTradingActivity(history.refresh);
  useSubscriptionEvents(
    OrderUpdatesSubscription,
    NO_SUBSCRIPTION_VARIABLES,
    `orders:${accountId}`,
    history.refresh,
    tab !== 'OPEN' && accountId !== '',
  );

  const rows = tab === 'OPEN' ? orders : history.data?.myOrders;
  const sorted = rows ? [...rows].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt)) : undefined;
  const decimalsOf = (order: Order) => marketDecimals(markets?.find((m) => m.symbol === order.symbol));

  const cancel = async (order: Order) => {
    setResult(null);
    const response = await cancelOrder({ symbol: order.symbol, orderId: order.id });
    const outcome = response.data?.cancelOrder;
    if (!outcome) {
      setResult({ tone: 'error', text: response.error ? describeError(response.error) : 'No answer from the server.' });
      return;
    }
    notifyTradingActivity();
    setResult(
      outcome.__typename === 'OrderCancelled'
        ? { tone: 'success', text: `Cancelled order ${order.id}.` }
        : describeUserError(outcome),
    );
  };

  const cancelEverything = async () => {
    setResult(null);
    const response = await cancelAll({ symbol });
    const outcome = response.data?.cancelAllOrders;
    if (!outcome) {
      setResult({ tone: 'error', text: response.error ? describeError(response.error) : 'No answer from the server.' });
      return;
    }
    notifyTradingActivity();
    setResult(
      outcome.__typename === 'OrderCancelled'
        ? { tone: 'success', text: `Cancelled ${outcome.cancelled.length} ${symbol} order(s).` }
        : describeUserError(outcome),
    );
  };

  const openInSymbol = orders?.some((order) => order.symbol === symbol) ?? false;

  return (
    <section className="card" aria-labelledby={titleId} data-testid="working-orders">
      <div className="card-header">
        <h2 id={titleId}>Orders</h2>
        <ToggleGroup
          label="Which orders"
          value={tab}
          onChange={(next) => {
            setTab(next);
            setAmending(null);
          }}
          options={[
            { value: 'OPEN', label: 'Working', testId: 'orders-tab-open' },
            { value: 'CLOSED', label: 'History', testId: 'orders-tab-closed' },
            { value: 'ALL', label: 'All', testId: 'orders-tab-all' },
          ]}
        />
      </div>
      {tab === 'OPEN' && openInSymbol ? (
        <div className="card-toolbar">
          <button
            type="button"
            className="btn btn-small btn-danger"
            disabled={cancellingAll}
            data-testid="orders-cancel-all"
            onClick={() => void cancelEverything()}
          >
            Cancel all {symbol}
          </button>
        </div>
      ) : null}
      {tab !== 'OPEN' && history.error ? <ErrorMessage error={history.error} context="Order history" /> : null}
      {sorted === undefined ? (
        <p className="muted">Loading orders…</p>
      ) : sorted.length === 0 ? (
        <p className="muted" data-testid="working-orders-empty">
          {tab === 'OPEN' ? 'No working orders.' : 'No orders yet.'}
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
                {tab === 'OPEN' ? (
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                ) : null}
              </tr>
            </thead>
            <tbody>
              {sorted.map((order) => {
                const buy = order.side === 'BUY';
                const working = order.status === 'OPEN' || order.status === 'PARTIALLY_FILLED' || order.status === 'NEW';
                return [
                  <tr key={order.id} data-testid={`working-row-${order.id}`}>
                    <td className="num">
                      <ServerTime iso={order.updatedAt} />
                    </td>
                    <th scope="row">{order.symbol}</th>
                    <td>
                      <span className={buy ? 'side-tag side-tag-buy' : 'side-tag side-tag-sell'}>{buy ? 'Buy' : 'Sell'}</span>
                    </td>
                    <td>{humanize(order.type)}</td>
                    <td className="num">{order.price ? formatFixed(order.price, decimalsOf(order)) : 'Market'}</td>
                    <td className="num">{formatQuantity(order.size)}</td>
                    <td className="num">{formatQuantity(order.filled)}</td>
                    <td title={orderReason(order.reason) ?? undefined}>{humanize(order.status)}</td>
                    {tab === 'OPEN' ? (
                      <td className="row-actions">
                        {working ? (
                          <>
                            <button
                              type="button"
                              className="btn btn-small"
                              aria-expanded={amending === order.id}
                              aria-label={`Amend order ${order.id}`}
                              data-testid={`working-amend-${order.id}`}
                              onClick={() => setAmending(amending === order.id ? null : order.id)}
                            >
                              Amend
                            </button>
                            <button
                              type="button"
                              className="btn btn-small btn-danger"
                              aria-label={`Cancel order ${order.id}`}
                              data-testid={`working-cancel-${order.id}`}
                              onClick={() => void cancel(order)}
                            >
                              Cancel
                            </button>
                          </>
                        ) : null}
                      </td>
                    ) : null}
                  </tr>,
                  amending === order.id ? (
                    <tr key={`${order.id}-amend`} className="subrow">
                      <td colSpan={9}>
                        <AmendForm
                          order={order}
                          onDone={(next) => {
                            setResult(next);
                            if (next.tone !== 'error') setAmending(null);
                          }}
                          onCancel={() => setAmending(null)}
                        />
                      </td>
                    </tr>
                  ) : null,
                ];
              })}
            </tbody>
          </table>
        </div>
      )}
      <ResultMessage result={result} testId="working-result" className="card-result" />
    </section>
  );
}

function AmendForm({
  order,
  onDone,
  onCancel,
}: {
  order: Order;
  onDone: (result: ActionResult) => void;
  onCancel: () => void;
}) {
  const id = useId();
  const [sizeText, setSizeText] = useState('');
  const [{ fetching }, amend] = useMutation(AmendOrderMutation);
  const size = parseDec(sizeText.trim());
  const current = parseDec(order.size);
  const filled = parseDec(order.filled);
  const valid = size !== null && current !== null && size.n > 0n && cmp(size, current) < 0 && (filled === null || cmp(size, filled) > 0);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!valid || !size) return;
    const response = await amend({ symbol: order.symbol, orderId: order.id, size: toPlain(size) });
    const outcome = response.data?.amendOrder;
    if (!outcome) {
      onDone({ tone: 'error', text: response.error ? describeError(response.error) : 'No answer from the server.' });
      return;
    }
    notifyTradingActivity();
    onDone(
      outcome.__typename === 'OrderPlaced'
        ? { tone: 'success', text: `Order ${order.id} is now ${formatQuantity(outcome.order.size)}; it keeps its place.` }
        : describeUserError(outcome),
    );
  };

  return (
    <form className="inline-form" onSubmit={(event) => void submit(event)} noValidate>
      <label htmlFor={`${id}-size`}>New total size (smaller than {formatQuantity(order.size)})</label>
      <input
        id={`${id}-size`}
        className="num"
        inputMode="decimal"
        autoComplete="off"
        autoFocus
        value={sizeText}
        aria-invalid={sizeText !== '' && !valid ? true : undefined}
        data-testid={`working-amend-size-${order.id}`}
        onChange={(event) => setSizeText(event.target.value)}
      />
      <button type="submit" className="btn btn-small" disabled={!valid || fetching} data-testid={`working-amend-submit-${order.id}`}>
        {fetching ? 'Amending…' : 'Amend'}
      </button>
      <button type="button" className="btn btn-small btn-ghost" onClick={onCancel}>
        Cancel
      </button>
    </form>
  );
}
