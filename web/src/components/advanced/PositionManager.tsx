import { useId, useState, type FormEvent } from 'react';
import { useMutation } from 'urql';
import { useSession } from '../../auth/AuthProvider';
import {
  AdjustMarginFullMutation,
  ClosePositionFullMutation,
  ManagedPositionsQuery,
  SetTpSlMutation,
  type ManagedPosition,
} from '../../graphql/advanced';
import { privatePollingClient } from '../../graphql/client';
import { describeError } from '../../graphql/errors';
import { PositionUpdatesSubscription, type Market, type Position } from '../../graphql/operations';
import { ErrorMessage } from '../ErrorMessage';
import { Modal } from '../Modal';
import { marketDecimals } from '../markets/format';
import { SAFETY_NET_MS, usePolledQuery } from '../markets/hooks';
import { formatFixed, formatQuantity, formatSigned, parseDec, toPlain } from '../trading/decimal';
import {
  notifyTradingActivity,
  useLiveMarks,
  usePatchedList,
  useSubscriptionEvents,
  useTradingActivity,
} from '../trading/hooks';
import { ResultMessage } from '../trading/ResultMessage';
import { describeUserError, summarizeFills, type ActionResult } from '../trading/results';

const NO_VARIABLES = () => ({});
const NO_SUBSCRIPTION_VARIABLES = {};

/** The event's fields over the listed position's (keeping its triggers); a new or closed one needs a refetch. */
function applyManagedUpdate(list: ManagedPosition[], position: Position | null): ManagedPosition[] | null {
  const listed = position === null ? undefined : list.find((item) => item.symbol === position.symbol);
  if (position === null || listed === undefined) return null;
  return list.map((item) => (item === listed ? { ...listed, ...position } : item));
}
const SIGNED_USDT = /^-?\d+(\.\d{1,6})?$/;
const PRICE = /^\d+(\.\d+)?$/;

type Panel = { symbol: string; kind: 'tpsl' | 'margin' } | null;

/** Open positions: close (confirmed), take-profit / stop-loss, add or remove margin. */
export function PositionManager({ markets }: { markets: Market[] | undefined }) {
  const titleId = useId();
  const accountId = useSession()?.accountId ?? '';
  const { data, error, refresh } = usePolledQuery(ManagedPositionsQuery, NO_VARIABLES, SAFETY_NET_MS, `managed|${accountId}`, {
    client: privatePollingClient,
    enabled: accountId !== '',
  });
  // Between fetches, `positionUpdates` carries each changed position; marks follow the ticker.
  const { list, onEvent } = usePatchedList(data?.myPositions, applyManagedUpdate, refresh);
  useSubscriptionEvents(
    PositionUpdatesSubscription,
    NO_SUBSCRIPTION_VARIABLES,
    `positions:${accountId}`,
    (event) => onEvent(event.positionUpdates),
    accountId !== '',
  );
  useTradingActivity(refresh);
  const [panel, setPanel] = useState<Panel>(null);
  const [closing, setClosing] = useState<ManagedPosition | null>(null);
  const [result, setResult] = useState<ActionResult | null>(null);
  const [{ fetching }, closePosition] = useMutation(ClosePositionFullMutation);
  const positions = useLiveMarks(list);
  const decimalsOf = (symbol: string) => marketDecimals(markets?.find((m) => m.symbol === symbol));

  const close = async (position: ManagedPosition) => {
    const response = await closePosition({ symbol: position.symbol });
    setClosing(null);
    const outcome = response.data?.closePosition;
    if (!outcome) {
      setResult({ tone: 'error', text: response.error ? describeError(response.error) : 'No answer from the server.' });
      return;
    }
    notifyTradingActivity();
    if (outcome.__typename !== 'PositionUpdated') {
      setResult(describeUserError(outcome));
      return;
    }
    const fills = summarizeFills(outcome.fills, decimalsOf(position.symbol));
    setResult({
      tone: outcome.position === null ? 'success' : 'info',
      text:
        outcome.position === null
          ? `Closed ${position.symbol}: realized PnL ${formatSigned(toPlain(fills.realizedPnl))} USDT.`
          : `Partly closed ${position.symbol}; ${formatQuantity(outcome.position.size)} remain open.`,
    });
  };

  const done = (next: ActionResult) => {
    setResult(next);
    if (next.tone !== 'error') setPanel(null);
  };

  return (
    <section className="card" aria-labelledby={titleId} data-testid="position-manager">
      <div className="card-header">
        <h2 id={titleId}>Position management</h2>
        <span className="muted small">Isolated margin per market</span>
      </div>
      {error ? <ErrorMessage error={error} context="Positions" /> : null}
      {positions === undefined ? (
        error ? null : <p className="muted">Loading positions…</p>
      ) : positions.length === 0 ? (
        <p className="muted">No open positions.</p>
      ) : (
        <div className="table-scroll">
          <table className="data-table" aria-labelledby={titleId}>
            <thead>
              <tr>
                <th scope="col">Market</th>
                <th scope="col">Side</th>
                <th scope="col" className="num">Size</th>
                <th scope="col" className="num">Entry</th>
                <th scope="col" className="num">Mark</th>
                <th scope="col" className="num">Margin</th>
                <th scope="col" className="num">Unreal. PnL</th>
                <th scope="col" className="num">Liq. price</th>
                <th scope="col" className="num">TP / SL</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {positions.map((position) => {
                const decimals = decimalsOf(position.symbol);
                const open = panel?.symbol === position.symbol ? panel.kind : null;
                return [
                  <tr key={position.symbol} data-testid={`managed-row-${position.symbol}`}>
                    <th scope="row">{position.symbol}</th>
                    <td>{position.side === 'LONG' ? 'Long' : 'Short'}</td>
                    <td className="num">{formatQuantity(position.size)}</td>
                    <td className="num">{formatFixed(position.entryPrice, decimals)}</td>
                    <td className="num">{formatFixed(position.markPrice, decimals)}</td>
                    <td className="num">{formatFixed(position.margin, 2)}</td>
                    <td className="num">{formatSigned(position.unrealizedPnl)}</td>
                    <td className="num">{position.liquidationPrice ? formatFixed(position.liquidationPrice, decimals) : '—'}</td>
                    <td className="num">
                      {position.takeProfit ? formatFixed(position.takeProfit, decimals) : '—'} /{' '}
                      {position.stopLoss ? formatFixed(position.stopLoss, decimals) : '—'}
                    </td>
                    <td className="row-actions">
                      <button
                        type="button"
                        className="btn btn-small"
                        aria-expanded={open === 'tpsl'}
                        data-testid={`managed-tpsl-${position.symbol}`}
                        onClick={() => setPanel(open === 'tpsl' ? null : { symbol: position.symbol, kind: 'tpsl' })}
                      >
                        TP/SL
                      </button>
                      <button
                        type="button"
                        className="btn btn-small"
                        aria-expanded={open === 'margin'}
                        data-testid={`managed-margin-${position.symbol}`}
                        onClick={() => setPanel(open === 'margin' ? null : { symbol: position.symbol, kind: 'margin' })}
                      >
                        Margin
                      </button>
                      <button
                        type="button"
                        className="btn btn-small btn-danger"
                        data-testid={`managed-close-${position.symbol}`}
                        onClick={() => setClosing(position)}
                      >
                        Close
                      </button>
                    </td>
                  </tr>,
                  open ? (
                    <tr key={`${position.symbol}-panel`} className="subrow">
                      <td colSpan={10}>
                        {open === 'tpsl' ? (
                          <TpSlForm position={position} onDone={done} onCancel={() => setPanel(null)} />
                        ) : (
                          <MarginForm position={position} onDone={done} onCancel={() => setPanel(null)} />
                        )}
                      </td>
                    </tr>
                  ) : null,
                ];
              })}
            </tbody>
          </table>
        </div>
      )}
      <ResultMessage result={result} testId="managed-result" className="card-result" />
      {closing ? (
        <Modal title={`Close ${closing.symbol}?`} onClose={() => setClosing(null)} testId="managed-close-confirm">
          <p>
            Close the whole {closing.side === 'LONG' ? 'long' : 'short'} of {formatQuantity(closing.size)} at market.
          </p>
          <div className="form-actions">
            <button type="button" className="btn btn-ghost" onClick={() => setClosing(null)}>
              Keep it
            </button>
            <button type="button" className="btn btn-danger" autoFocus disabled={fetching} onClick={() => void close(closing)}>
              {fetching ? 'Closing…' : 'Close at market'}
            </button>
          </div>
        </Modal>
      ) : null}
    </section>
  );
}

function TpSlForm({
  position,
  onDone,
  onCancel,
}: {
  position: ManagedPosition;
  onDone: (result: ActionResult) => void;
  onCancel: () => void;
}) {
  const id = useId();
  const [takeProfit, setTakeProfit] = useState(position.takeProfit ?? '');
  const [stopLoss, setStopLoss] = useState(position.stopLoss ?? '');
  const [{ fetching }, setTpSl] = useMutation(SetTpSlMutation);
  const valid = [takeProfit, stopLoss].every((text) => text.trim() === '' || PRICE.test(text.trim()));

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!valid) return;
    const response = await setTpSl({
      symbol: position.symbol,
      takeProfit: takeProfit.trim() || null,
      stopLoss: stopLoss.trim() || null,
    });
    const outcome = response.data?.setTpSl;
    if (!outcome) {
      onDone({ tone: 'error', text: response.error ? describeError(response.error) : 'No answer from the server.' });
      return;
    }
    notifyTradingActivity();
    onDone(
      outcome.__typename === 'PositionUpdated'
        ? { tone: 'success', text: `Take-profit and stop-loss of ${position.symbol} saved (empty clears one).` }
        : describeUserError(outcome),
    );
  };

  return (
    <form className="inline-form" onSubmit={(event) => void submit(event)} noValidate>
      <label htmlFor={`${id}-tp`}>Take-profit mark</label>
      <input id={`${id}-tp`} className="num" inputMode="decimal" value={takeProfit} onChange={(e) => setTakeProfit(e.target.value)} />
      <label htmlFor={`${id}-sl`}>Stop-loss mark</label>
      <input id={`${id}-sl`} className="num" inputMode="decimal" value={stopLoss} onChange={(e) => setStopLoss(e.target.value)} />
      <button type="submit" className="btn btn-small" disabled={!valid || fetching}>
        Save
      </button>
      <button type="button" className="btn btn-small btn-ghost" onClick={onCancel}>
        Cancel
      </button>
    </form>
  );
}

function MarginForm({
  position,
  onDone,
  onCancel,
}: {
  position: ManagedPosition;
  onDone: (result: ActionResult) => void;
  onCancel: () => void;
}) {
  const id = useId();
  const [amount, setAmount] = useState('');
  const [{ fetching }, adjust] = useMutation(AdjustMarginFullMutation);
  const valid = SIGNED_USDT.test(amount.trim()) && (parseDec(amount.trim())?.n ?? 0n) !== 0n;

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!valid) return;
    const response = await adjust({ symbol: position.symbol, amount: amount.trim() });
    const outcome = response.data?.adjustMargin;
    if (!outcome) {
      onDone({ tone: 'error', text: response.error ? describeError(response.error) : 'No answer from the server.' });
      return;
    }
    notifyTradingActivity();
    onDone(
      outcome.__typename === 'PositionUpdated'
        ? { tone: 'success', text: `Margin of ${position.symbol} is now ${formatFixed(outcome.position?.margin ?? null, 2)} USDT.` }
        : describeUserError(outcome),
    );
  };

  return (
    <form className="inline-form" onSubmit={(event) => void submit(event)} noValidate>
      <label htmlFor={`${id}-amount`}>Add (positive) or remove (negative) margin, USDT</label>
      <input
        id={`${id}-amount`}
        className="num"
        inputMode="decimal"
        autoFocus
        placeholder="10 or -5"
        value={amount}
        aria-invalid={amount !== '' && !valid ? true : undefined}
        onChange={(e) => setAmount(e.target.value)}
      />
      <button type="submit" className="btn btn-small" disabled={!valid || fetching}>
        Apply
      </button>
      <button type="button" className="btn btn-small btn-ghost" onClick={onCancel}>
        Cancel
      </button>
    </form>
  );
}
