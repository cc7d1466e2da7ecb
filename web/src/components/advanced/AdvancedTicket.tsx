import { useEffect, useId, useState, type FormEvent, type RefObject } from 'react';
import { useMutation } from 'urql';
import { PlaceFullOrderMutation, type FullOrderInput, type TimeInForce } from '../../graphql/advanced';
import { describeError } from '../../graphql/errors';
import type { Market, OrderSide, OrderType } from '../../graphql/operations';
import { Modal } from '../Modal';
import { marketDecimals } from '../markets/format';
import { useTicker } from '../markets/hooks';
import { cmp, dec, formatFixed, formatQuantity, isMultipleOf, parseDec, toPlain, trimZeros, type Dec } from '../trading/decimal';
import { newClientOrderId, notifyTradingActivity, useAvailableUsdt } from '../trading/hooks';
import { ResultMessage } from '../trading/ResultMessage';
import { describePlacedOrder, describeUserError, type ActionResult } from '../trading/results';
import { marketSpec } from '../trading/rules';
import { ToggleGroup } from '../trading/ToggleGroup';

export const ORDER_TYPES: ReadonlyArray<{ value: OrderType; label: string; hint: string }> = [
  { value: 'MARKET', label: 'Market', hint: 'Trade now against hidden liquidity, at or inside the reference quote.' },
  { value: 'LIMIT', label: 'Limit', hint: 'Your price or better; the rest waits hidden.' },
  { value: 'PEG_MID', label: 'Peg mid', hint: 'Follows the reference mid; the price is an optional cap.' },
  { value: 'PEG_BID', label: 'Peg bid', hint: 'Follows the reference bid; the price is an optional cap.' },
  { value: 'PEG_ASK', label: 'Peg ask', hint: 'Follows the reference ask; the price is an optional cap.' },
];

const TIME_IN_FORCE: ReadonlyArray<{ value: TimeInForce; label: string }> = [
  { value: 'GTC', label: 'GTC · good till cancelled' },
  { value: 'IOC', label: 'IOC · immediate or cancel' },
  { value: 'FOK', label: 'FOK · fill or kill' },
  { value: 'GTD', label: 'GTD · good till date' },
];

const CLIENT_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** What the page's keyboard shortcuts can ask of the ticket. */
export interface TicketControl {
  review: () => void;
}

interface Draft {
  input: FullOrderInput;
  summary: string[];
}

function check(
  text: string,
  step: Dec,
  what: string,
  required: boolean,
): { value: Dec | null; problem: string | null } {
  if (text.trim() === '') return { value: null, problem: required ? `Enter the ${what}.` : null };
  const value = parseDec(text.trim());
  if (!value || value.n <= 0n) return { value: null, problem: `The ${what} must be a number above zero.` };
  if (!isMultipleOf(value, step)) return { value: null, problem: `The ${what} goes in steps of ${trimZeros(toPlain(step))}.` };
  return { value, problem: null };
}

interface Props {
  symbol: string;
  market: Market | undefined;
  side: OrderSide;
  onSide: (side: OrderSide) => void;
  controlRef: RefObject<TicketControl | null>;
}

/** Every order type, time in force and attribute of PlaceOrderInput, confirmed before sending. */
export function AdvancedTicket({ symbol, market, side, onSide, controlRef }: Props) {
  const id = useId();
  const [type, setType] = useState<OrderType>('LIMIT');
  const [sizeText, setSizeText] = useState('');
  const [priceText, setPriceText] = useState('');
  const [leverageText, setLeverageText] = useState('10');
  const [timeInForce, setTimeInForce] = useState<TimeInForce>('GTC');
  const [expiresText, setExpiresText] = useState('');
  const [reduceOnly, setReduceOnly] = useState(false);
  const [allOrNone, setAllOrNone] = useState(false);
  const [nbboProtection, setNbboProtection] = useState(true);
  const [minQuantityText, setMinQuantityText] = useState('');
  const [clientOrderId, setClientOrderId] = useState('');
  const [problems, setProblems] = useState<string[]>([]);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [result, setResult] = useState<ActionResult | null>(null);
  const [{ fetching }, placeOrder] = useMutation(PlaceFullOrderMutation);
  const { ticker } = useTicker(symbol);
  const { data: available } = useAvailableUsdt();

  const baseAsset = market?.baseAsset ?? symbol.split('-')[0] ?? symbol;
  const spec = marketSpec(baseAsset);
  const step = dec(spec?.stepSize ?? '0.00000001');
  const tick = dec(spec?.tickSize ?? '0.0000000001');
  const decimals = marketDecimals(market);
  const quote = ticker ?? market;
  const typeInfo = ORDER_TYPES.find((option) => option.value === type);
  const isPeg = type.startsWith('PEG_');

  const build = (): Draft | string[] => {
    const issues: string[] = [];
    const size = check(sizeText, step, `size (${baseAsset})`, true);
    if (size.problem) issues.push(size.problem);
    const price = type === 'MARKET' ? { value: null, problem: null } : check(priceText, tick, 'price', type === 'LIMIT');
    if (price.problem) issues.push(price.problem);
    const leverage = Number(leverageText);
    if (!Number.isInteger(leverage) || leverage < 1 || leverage > 1000) issues.push('Leverage is a whole number from 1 to 1000.');
    const minQuantity = check(minQuantityText, step, 'minimum quantity', false);
    if (minQuantity.problem) issues.push(minQuantity.problem);
    if (minQuantity.value && size.value && cmp(minQuantity.value, size.value) > 0) {
      issues.push('The minimum quantity cannot exceed the size.');
    }
    let expiresAt: string | null = null;
    if (timeInForce === 'GTD') {
      const when = Date.parse(expiresText);
      if (!Number.isFinite(when)) issues.push('A GTD order needs an expiry date and time.');
      else if (when <= Date.now()) issues.push('The expiry must be in the future.');
      else expiresAt = new Date(when).toISOString();
    }
    if (clientOrderId.trim() !== '' && !CLIENT_ID.test(clientOrderId.trim())) {
      issues.push('A client order id is 1–64 letters, digits, dots, dashes, colons or underscores.');
    }
    if (issues.length > 0 || !size.value) return issues;
    const input: FullOrderInput = {
      symbol,
      side,
      type,
      size: toPlain(size.value),
      leverage,
      price: price.value ? toPlain(price.value) : null,
      timeInForce,
      reduceOnly,
      clientOrderId: clientOrderId.trim() || newClientOrderId(),
      minQuantity: minQuantity.value ? toPlain(minQuantity.value) : null,
      allOrNone,
      nbboProtection,
      expiresAt,
    };
    const attributes = [
      reduceOnly ? 'reduce-only' : null,
      allOrNone ? 'all-or-none' : null,
      nbboProtection ? 'NBBO protection' : null,
      minQuantity.value ? `min quantity ${formatQuantity(minQuantity.value)}` : null,
    ].filter(Boolean);
    const summary = [
      `${side === 'BUY' ? 'Buy / Long' : 'Sell / Short'} ${formatQuantity(size.value)} ${baseAsset} at ${leverage}x`,
      `${typeInfo?.label ?? type}${price.value ? ` · ${isPeg ? 'cap' : 'price'} ${formatFixed(price.value, Math.max(decimals, tick.s))} USDT` : ''}`,
      `Time in force ${timeInForce}${expiresAt ? ` until ${new Date(expiresAt).toLocaleString()}` : ''}`,
      `Attributes: ${attributes.length > 0 ? attributes.join(', ') : 'none'}`,
      `Client order id ${input.clientOrderId}`,
    ];
    return { input, summary };
  };

  const review = () => {
    setResult(null);
    const built = build();
    if (Array.isArray(built)) {
      setProblems(built);
      return;
    }
    setProblems([]);
    setDraft(built);
  };
  useEffect(() => {
    controlRef.current = { review };
  });

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (fetching) return; // the button stays focusable while an order is on its way
    review();
  };

  const confirm = async () => {
    if (!draft || fetching) return;
    const response = await placeOrder({ input: draft.input });
    setDraft(null);
    const placed = response.data?.placeOrder;
    if (!placed) {
      setResult({ tone: 'error', text: response.error ? describeError(response.error) : 'No answer from the server.' });
      return;
    }
    notifyTradingActivity();
    if (placed.__typename === 'OrderPlaced') {
      setResult(describePlacedOrder(placed.order, placed.fills, baseAsset, decimals, draft.input.minQuantity));
      setClientOrderId('');
    } else {
      setResult(describeUserError(placed));
    }
  };

  const onType = (next: OrderType) => {
    setType(next);
    setTimeInForce(next === 'MARKET' ? 'IOC' : 'GTC');
    if (next === 'LIMIT' && priceText === '') {
      const reference = side === 'BUY' ? quote?.nbbo.bid : quote?.nbbo.ask;
      if (reference) setPriceText(formatFixed(reference, tick.s).replace(/,/g, ''));
    }
  };

  const field = (name: string) => `${id}-${name}`;

  return (
    <section className="card ticket" aria-labelledby={field('title')} data-testid="advanced-ticket">
      <div className="card-header">
        <h2 id={field('title')}>Advanced order · {symbol}</h2>
        <span className="muted small">
          Available <span className="num">{available ? formatFixed(available, 2) : '—'}</span> USDT
        </span>
      </div>
      <form className="ticket-form" onSubmit={onSubmit} noValidate>
        <ToggleGroup
          label="Side (keys B and S)"
          className="ticket-sides"
          value={side}
          onChange={onSide}
          options={[
            { value: 'BUY', label: 'Buy / Long (B)', testId: 'adv-side-buy', className: 'side-buy' },
            { value: 'SELL', label: 'Sell / Short (S)', testId: 'adv-side-sell', className: 'side-sell' },
          ]}
        />
        <div className="adv-grid">
          <div className="field">
            <label htmlFor={field('type')}>Order type</label>
            <select id={field('type')} value={type} data-testid="adv-type" onChange={(e) => onType(e.target.value as OrderType)}>
              {ORDER_TYPES.map((option) => (
                <option key={option.value} value={option.value}>
                  {option.label}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor={field('tif')}>Time in force</label>
            <select
              id={field('tif')}
              value={timeInForce}
              data-testid="adv-tif"
              onChange={(e) => setTimeInForce(e.target.value as TimeInForce)}
            >
              {TIME_IN_FORCE.map((option) => (
                <option key={option.value} value={option.value}>
                  {option.label}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor={field('size')}>Size ({baseAsset})</label>
            <input
              id={field('size')}
              className="num"
              inputMode="decimal"
              autoComplete="off"
              placeholder={trimZeros(toPlain(step))}
              value={sizeText}
              data-testid="adv-size"
              onChange={(e) => setSizeText(e.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor={field('leverage')}>Leverage (1–1000x)</label>
            <input
              id={field('leverage')}
              className="num"
              inputMode="numeric"
              autoComplete="off"
              value={leverageText}
              data-testid="adv-leverage"
              onChange={(e) => setLeverageText(e.target.value)}
            />
          </div>
          {type !== 'MARKET' ? (
            <div className="field">
              <label htmlFor={field('price')}>{isPeg ? 'Price cap (optional, USDT)' : 'Limit price (USDT)'}</label>
              <input
                id={field('price')}
                className="num"
                inputMode="decimal"
                autoComplete="off"
                value={priceText}
                data-testid="adv-price"
                onChange={(e) => setPriceText(e.target.value)}
              />
            </div>
          ) : null}
          {timeInForce === 'GTD' ? (
            <div className="field">
              <label htmlFor={field('expires')}>Expires at (your local time)</label>
              <input
                id={field('expires')}
                type="datetime-local"
                value={expiresText}
                data-testid="adv-expires"
                onChange={(e) => setExpiresText(e.target.value)}
              />
            </div>
          ) : null}
          <div className="field">
            <label htmlFor={field('minqty')}>Minimum quantity (optional)</label>
            <input
              id={field('minqty')}
              className="num"
              inputMode="decimal"
              autoComplete="off"
              value={minQuantityText}
              data-testid="adv-min-quantity"
              onChange={(e) => setMinQuantityText(e.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor={field('cid')}>Client order id (optional)</label>
            <input
              id={field('cid')}
              autoComplete="off"
              spellCheck={false}
              value={clientOrderId}
              data-testid="adv-client-id"
              onChange={(e) => setClientOrderId(e.target.value)}
            />
          </div>
        </div>
        <p className="field-hint">{typeInfo?.hint}</p>
        <fieldset className="checkbox-group adv-attributes">
          <legend>Attributes</legend>
          <label className="checkbox">
            <input type="checkbox" checked={reduceOnly} data-testid="adv-reduce-only" onChange={(e) => setReduceOnly(e.target.checked)} />
            Reduce-only
          </label>
          <label className="checkbox">
            <input type="checkbox" checked={allOrNone} data-testid="adv-aon" onChange={(e) => setAllOrNone(e.target.checked)} />
            All-or-none
          </label>
          <label className="checkbox">
            <input
              type="checkbox"
              checked={nbboProtection}
              data-testid="adv-nbbo"
              onChange={(e) => setNbboProtection(e.target.checked)}
            />
            NBBO protection (never worse than the reference quote)
          </label>
        </fieldset>
        {problems.length > 0 ? (
          <ul className="form-problems" role="alert" data-testid="adv-problems">
            {problems.map((problem) => (
              <li key={problem}>{problem}</li>
            ))}
          </ul>
        ) : null}
        <button
          type="submit"
          className={side === 'BUY' ? 'ticket-submit side-buy' : 'ticket-submit side-sell'}
          // As in the Basic ticket: aria-disabled, not disabled, while the order is on its way
          // (onSubmit ignores a press), so keyboard focus stays here instead of dropping to the
          // top of the page, and the confirm dialog can hand it back when it closes.
          aria-disabled={fetching || undefined}
          data-testid="adv-review"
        >
          Review {side === 'BUY' ? 'buy' : 'sell'} order (Enter)
        </button>
        <ResultMessage result={result} testId="adv-result" />
      </form>
      {draft ? (
        <Modal title="Confirm order" onClose={() => setDraft(null)} testId="adv-confirm">
          <ul className="confirm-list">
            {draft.summary.map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ul>
          <p className="muted small">Your order stays hidden in the dark book; Esc cancels.</p>
          <div className="form-actions">
            <button type="button" className="btn btn-ghost" onClick={() => setDraft(null)}>
              Cancel
            </button>
            <button
              type="button"
              className="btn btn-primary"
              autoFocus
              aria-disabled={fetching || undefined}
              data-testid="adv-confirm-submit"
              onClick={() => void confirm()}
            >
              {fetching ? 'Placing…' : 'Place order'}
            </button>
          </div>
        </Modal>
      ) : null}
    </section>
  );
}
