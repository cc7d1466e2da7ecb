import { useId, useState, type FormEvent } from 'react';
import { useMutation, type CombinedError } from 'urql';
import { describeError } from '../../graphql/errors';
import {
  AdjustMarginMutation,
  ClosePositionMutation,
  type Market,
  type Position,
} from '../../graphql/operations';
import { ErrorMessage } from '../ErrorMessage';
import { marketDecimals } from '../markets/format';
import { formatFixed, formatQuantity, formatSigned, parseDec, toPlain } from './decimal';
import { notifyTradingActivity } from './hooks';
import { ResultMessage } from './ResultMessage';
import { describeUserError, summarizeFills, type ActionResult } from './results';

const USDT_AMOUNT = /^\d+(\.\d{1,6})?$/;

function toneOf(value: string | null): string | undefined {
  const number = Number(value); // colour only
  if (!value || !Number.isFinite(number) || number === 0) return undefined;
  return number > 0 ? 'tone-up' : 'tone-down';
}

function baseOf(symbol: string, markets: Market[] | undefined): string {
  return markets?.find((m) => m.symbol === symbol)?.baseAsset ?? symbol.split('-')[0] ?? symbol;
}

interface Props {
  positions: Position[] | undefined;
  error: CombinedError | null;
  markets: Market[] | undefined;
}

/** Open positions with live PnL; close at market or add isolated margin. */
export function PositionsCard({ positions, error, markets }: Props) {
  const titleId = useId();
  const [result, setResult] = useState<ActionResult | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [addingTo, setAddingTo] = useState<string | null>(null);
  const [, closePosition] = useMutation(ClosePositionMutation);

  const decimalsFor = (symbol: string, position: Position) =>
    marketDecimals(
      markets?.find((m) => m.symbol === symbol) ?? {
        symbol,
        indexPrice: position.markPrice,
        markPrice: position.markPrice,
        nbbo: { mid: null },
      },
    );

  const close = async (position: Position) => {
    setBusy(position.symbol);
    setResult(null);
    const response = await closePosition({ symbol: position.symbol });
    setBusy(null);
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
    const decimals = decimalsFor(position.symbol, position);
    const base = baseOf(position.symbol, markets);
    const fills = summarizeFills(outcome.fills, decimals);
    const pnl = formatSigned(toPlain(fills.realizedPnl));
    const at = `${outcome.fills.length > 1 ? 'at an average' : 'at'} ${formatFixed(fills.averagePrice, decimals)}`;
    setResult(
      outcome.position === null
        ? {
            tone: 'success',
            text: `Closed ${position.symbol}: ${formatQuantity(fills.size)} ${base} ${at}, realized PnL ${pnl} USDT.`,
          }
        : fills.size.n > 0n
          ? {
              tone: 'info',
              text: `Partly closed ${position.symbol}: ${formatQuantity(fills.size)} ${base} ${at}; ${formatQuantity(
                outcome.position.size,
              )} ${base} remain open (not enough liquidity).`,
            }
          : {
              tone: 'error',
              text: `Could not close ${position.symbol}: there was no liquidity. Try again in a moment.`,
            },
    );
  };

  return (
    <section className="card" aria-labelledby={titleId} data-testid="positions-card">
      <div className="card-header">
        <h2 id={titleId}>Positions</h2>
        <span className="muted small">Isolated margin · live PnL at the mark</span>
      </div>
      {error ? <ErrorMessage error={error} context="Positions" /> : null}
      {positions === undefined ? (
        error ? null : <p className="muted">Loading positions…</p>
      ) : positions.length === 0 ? (
        <p className="muted" data-testid="positions-empty">
          No open positions.
        </p>
      ) : (
        <div className="table-scroll">
          <table className="data-table positions-table" aria-labelledby={titleId}>
            <thead>
              <tr>
                <th scope="col">Market</th>
                <th scope="col">Side</th>
                <th scope="col" className="num">Size</th>
                <th scope="col" className="num">Entry</th>
                <th scope="col" className="num">Mark</th>
                <th scope="col" className="num">Margin (USDT)</th>
                <th scope="col" className="num">
                  <abbr title="Leverage">Lev.</abbr>
                </th>
                <th scope="col" className="num">
                  <span className="has-tip" title="Unrealized profit or loss at the mark, USDT">
                    Unreal. PnL
                  </span>
                </th>
                <th scope="col" className="num">
                  <span className="has-tip" title="(margin + unrealized PnL) / notional at the mark">
                    Margin ratio
                  </span>
                </th>
                <th scope="col" className="num">
                  <span className="has-tip" title="The mark price at which this position is liquidated">
                    Liq. price
                  </span>
                </th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {positions.map((position) => {
                const decimals = decimalsFor(position.symbol, position);
                const base = baseOf(position.symbol, markets);
                const long = position.side === 'LONG';
                return (
                  <PositionRow
                    key={`${position.symbol}-${position.side}`}
                    position={position}
                    decimals={decimals}
                    base={base}
                    long={long}
                    busy={busy === position.symbol}
                    adding={addingTo === position.symbol}
                    onClose={() => void close(position)}
                    onToggleAdd={() => setAddingTo(addingTo === position.symbol ? null : position.symbol)}
                    onMarginResult={(next) => {
                      setResult(next);
                      if (next.tone !== 'error') setAddingTo(null);
                    }}
                  />
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <ResultMessage result={result} testId="positions-result" className="card-result" />
    </section>
  );
}

interface RowProps {
  position: Position;
  decimals: number;
  base: string;
  long: boolean;
  busy: boolean;
  adding: boolean;
  onClose: () => void;
  onToggleAdd: () => void;
  onMarginResult: (result: ActionResult) => void;
}

function PositionRow({ position, decimals, base, long, busy, adding, onClose, onToggleAdd, onMarginResult }: RowProps) {
  const { symbol } = position;
  const formId = useId();
  return (
    <>
      <tr data-testid={`position-row-${symbol}`}>
        <th scope="row">{symbol}</th>
        <td>
          <span className={long ? 'side-tag side-tag-buy' : 'side-tag side-tag-sell'}>{long ? 'Long' : 'Short'}</span>
        </td>
        <td className="num">
          {formatQuantity(position.size)}
          <span className="visually-hidden"> {base}</span>
        </td>
        <td className="num">{formatFixed(position.entryPrice, decimals)}</td>
        <td className="num">{formatFixed(position.markPrice, decimals)}</td>
        <td className="num">
          <span className="margin-cell">
            {formatFixed(position.margin, 2)}
            <button
              type="button"
              className="btn btn-icon"
              aria-expanded={adding}
              aria-controls={adding ? formId : undefined}
              aria-label={`Add margin to ${symbol}`}
              title="Add margin"
              data-testid={`position-add-margin-${symbol}`}
              onClick={onToggleAdd}
            >
              +
            </button>
          </span>
        </td>
        <td className="num">{position.leverage}x</td>
        <td className={`num ${toneOf(position.unrealizedPnl) ?? ''}`.trim()} data-testid={`position-pnl-${symbol}`}>
          {formatSigned(position.unrealizedPnl)}
        </td>
        <td className="num">{position.marginRatio == null ? '—' : `${formatFixed(position.marginRatio, 2)}%`}</td>
        <td className="num" data-testid={`position-liq-${symbol}`}>
          {position.liquidationPrice == null ? (
            <span className="muted" title="Margin covers the whole notional: no liquidation price">
              None
            </span>
          ) : (
            formatFixed(position.liquidationPrice, decimals)
          )}
        </td>
        <td className="row-actions">
          <button
            type="button"
            className="btn btn-small btn-danger"
            disabled={busy}
            aria-label={`Close ${symbol} position at market`}
            data-testid={`position-close-${symbol}`}
            onClick={onClose}
          >
            {busy ? 'Closing…' : 'Close'}
          </button>
        </td>
      </tr>
      {adding ? (
        <tr className="subrow">
          <td colSpan={11}>
            <AddMarginForm id={formId} symbol={symbol} onDone={onMarginResult} onCancel={onToggleAdd} decimals={decimals} />
          </td>
        </tr>
      ) : null}
    </>
  );
}

function AddMarginForm({
  id,
  symbol,
  decimals,
  onDone,
  onCancel,
}: {
  id: string;
  symbol: string;
  decimals: number;
  onDone: (result: ActionResult) => void;
  onCancel: () => void;
}) {
  const [amount, setAmount] = useState('');
  const [{ fetching }, adjustMargin] = useMutation(AdjustMarginMutation);
  const valid = USDT_AMOUNT.test(amount.trim()) && (parseDec(amount)?.n ?? 0n) > 0n;

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!valid) return;
    const response = await adjustMargin({ symbol, amount: amount.trim() });
    const outcome = response.data?.adjustMargin;
    if (!outcome) {
      onDone({ tone: 'error', text: response.error ? describeError(response.error) : 'No answer from the server.' });
      return;
    }
    notifyTradingActivity();
    if (outcome.__typename !== 'PositionUpdated') {
      onDone(describeUserError(outcome));
      return;
    }
    const liquidation = outcome.position?.liquidationPrice;
    onDone({
      tone: 'success',
      text: `Added ${formatFixed(amount.trim(), 2)} USDT margin to ${symbol}${
        liquidation ? `; liquidation price now ${formatFixed(liquidation, decimals)}` : ''
      }.`,
    });
  };

  return (
    <form id={id} className="inline-form" onSubmit={(event) => void submit(event)} noValidate>
      <label htmlFor={`${id}-amount`}>Add margin to {symbol} (USDT)</label>
      <input
        id={`${id}-amount`}
        className="num"
        type="text"
        inputMode="decimal"
        autoComplete="off"
        placeholder="10"
        value={amount}
        autoFocus
        aria-invalid={amount !== '' && !valid ? true : undefined}
        data-testid={`position-margin-amount-${symbol}`}
        onChange={(event) => setAmount(event.target.value)}
      />
      <button type="submit" className="btn btn-small" disabled={!valid || fetching} data-testid={`position-margin-submit-${symbol}`}>
        {fetching ? 'Adding…' : 'Add'}
      </button>
      <button type="button" className="btn btn-small btn-ghost" onClick={onCancel}>
        Cancel
      </button>
      {amount !== '' && !valid ? <span className="field-problem small">A positive amount, at most 6 decimals.</span> : null}
    </form>
  );
}
