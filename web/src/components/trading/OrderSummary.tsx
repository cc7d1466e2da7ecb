import { formatFixed } from './decimal';
import { marginRateLabel, type Requirement } from './rules';

interface Props {
  summary: Requirement | null;
  leverage: number;
  /** The order's price as shown, or null when unknown. */
  priceLabel: string | null;
  /** Market orders: amounts are estimates at the reference price. */
  estimate: boolean;
  feeLabel: string;
  overBalance: boolean;
}

/** Notional, initial margin and taker fee of the order as typed. */
export function OrderSummary({ summary, leverage, priceLabel, estimate, feeLabel, overBalance }: Props) {
  const approx = estimate ? '≈ ' : '';
  const usdt = (value: Parameters<typeof formatFixed>[0]) =>
    summary ? `${approx}${formatFixed(value, 2)} USDT` : '—';
  return (
    <div className="ticket-summary">
      <h3 className="visually-hidden">Order summary</h3>
      <dl data-testid="ticket-summary">
        <div>
          <dt>Price</dt>
          <dd className="num">{priceLabel ?? '—'}</dd>
        </div>
        <div>
          <dt>Notional</dt>
          <dd className="num" data-testid="ticket-notional">
            {usdt(summary?.notional)}
          </dd>
        </div>
        <div>
          <dt>
            <span
              className="has-tip"
              title="Initial margin = notional / leverage, but never below the tier's minimum (0.2% above 500x)"
            >
              Margin ({marginRateLabel(leverage)})
            </span>
          </dt>
          <dd className="num" data-testid="ticket-margin">
            {usdt(summary?.margin)}
          </dd>
        </div>
        <div>
          <dt>Taker fee ({feeLabel})</dt>
          <dd className="num" data-testid="ticket-fee">
            {usdt(summary?.fee)}
          </dd>
        </div>
      </dl>
      {overBalance ? (
        <p className="field-hint field-problem">
          Margin and fee are more than your available balance: the order will be refused.
        </p>
      ) : null}
    </div>
  );
}
