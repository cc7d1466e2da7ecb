import { useId, useState, type ChangeEvent, type FormEvent } from 'react';
import { useMutation } from 'urql';
import { describeError } from '../../graphql/errors';
import {
  PlaceOrderMutation,
  type Market,
  type OrderSide,
  type Position,
} from '../../graphql/operations';
import { marketDecimals } from '../markets/format';
import { useTicker } from '../markets/hooks';
import {
  ZERO,
  cmp,
  dec,
  divide,
  floorToStep,
  formatFixed,
  formatQuantity,
  fromInt,
  isMultipleOf,
  mul,
  parseDec,
  rescale,
  toPlain,
  trimZeros,
  type Dec,
} from './decimal';
import { newClientOrderId, notifyTradingActivity, useAvailableUsdt } from './hooks';
import { OrderSummary } from './OrderSummary';
import { ResultMessage } from './ResultMessage';
import { describePlacedOrder, describeUserError, type ActionResult } from './results';
import {
  LEVERAGE_CHOICES,
  TAKER_FEE_BPS,
  bpsLabel,
  marketSpec,
  marginRateLabel,
  maxOrderSize,
  requirement,
  tierFor,
  type LeverageChoice,
} from './rules';
import { ToggleGroup } from './ToggleGroup';

type TicketType = 'MARKET' | 'LIMIT';

/** A market order's margin is estimated a little above the reference, as prices move. */
const MARKET_PRICE_BUFFER = dec('1.001');
const HIGH_TIER = tierFor(1000);
const PERCENT_STEPS = 100n;

interface Field {
  value: Dec | null;
  problem: string | null;
}

function checkSize(text: string, step: Dec, largest: Dec, unit: string): Field {
  if (text.trim() === '') return { value: null, problem: null };
  const value = parseDec(text);
  if (!value || value.n < 0n) return { value: null, problem: 'Enter a size such as 0.01.' };
  if (value.n === 0n) return { value: null, problem: 'The size must be above zero.' };
  if (!isMultipleOf(value, step)) {
    return { value: null, problem: `Sizes go in steps of ${trimZeros(toPlain(step))} ${unit}.` };
  }
  if (cmp(value, largest) > 0) {
    return { value: null, problem: `At most ${formatQuantity(largest)} ${unit} per order.` };
  }
  return { value, problem: null };
}

function checkPrice(text: string, tick: Dec): Field {
  if (text.trim() === '') return { value: null, problem: null };
  const value = parseDec(text);
  if (!value || value.n <= 0n) return { value: null, problem: 'Enter a price above zero, such as 50000.' };
  if (!isMultipleOf(value, tick)) {
    return { value: null, problem: `Prices go in steps of ${trimZeros(toPlain(tick))} USDT.` };
  }
  return { value, problem: null };
}

/** `size` as a whole percentage of `maximum`, at most 100 (the slider's position only). */
function percentOf(size: Dec, maximum: Dec): number {
  if (maximum.n <= 0n) return 0;
  const ratio = divide(mul(size, fromInt(PERCENT_STEPS)), maximum, 0, 'floor')?.n ?? 0n;
  return Number(ratio > PERCENT_STEPS ? PERCENT_STEPS : ratio);
}

function positionSize(positions: Position[] | undefined, symbol: string, side: 'LONG' | 'SHORT'): Dec {
  const position = positions?.find((p) => p.symbol === symbol && p.side === side);
  return parseDec(position?.size) ?? ZERO;
}

interface Props {
  symbol: string;
  market: Market | undefined;
  positions: Position[] | undefined;
  /** The side chosen before the ticket opened (the phone's Buy / Sell bar). */
  initialSide?: OrderSide;
}

/** Basic ticket: market or limit, four leverage choices, size with a balance slider. */
export function OrderTicket({ symbol, market, positions, initialSide = 'BUY' }: Props) {
  const id = useId();
  const [side, setSide] = useState<OrderSide>(initialSide);
  const [type, setType] = useState<TicketType>('MARKET');
  const [leverage, setLeverage] = useState<LeverageChoice>(10);
  const [sizeText, setSizeText] = useState('');
  const [priceText, setPriceText] = useState('');
  const [sliderPercent, setSliderPercent] = useState<number | null>(null);
  const [result, setResult] = useState<ActionResult | null>(null);
  const [shownSymbol, setShownSymbol] = useState(symbol);
  const [{ fetching }, placeOrder] = useMutation(PlaceOrderMutation);
  const { ticker } = useTicker(symbol);
  const { data: available } = useAvailableUsdt();

  // A new market starts with an empty form (side, type and leverage stay).
  if (shownSymbol !== symbol) {
    setShownSymbol(symbol);
    setSizeText('');
    setPriceText('');
    setSliderPercent(null);
    setResult(null);
  }

  const baseAsset = market?.baseAsset ?? symbol.split('-')[0] ?? symbol;
  const spec = marketSpec(baseAsset);
  const step = dec(spec?.stepSize ?? '0.00000001');
  const tick = dec(spec?.tickSize ?? '0.0000000001');
  const largest = dec(spec?.maxOrderSize ?? '1000000000000');
  const decimals = marketDecimals(market);

  const quote = ticker ?? market;
  const referenceText = side === 'BUY' ? quote?.nbbo.ask : quote?.nbbo.bid;
  const referenceLabel = side === 'BUY' ? 'ref ask' : 'ref bid';
  const reference = parseDec(referenceText ?? quote?.markPrice ?? quote?.indexPrice ?? null);

  const size = checkSize(sizeText, step, largest, baseAsset);
  const price = type === 'LIMIT' ? checkPrice(priceText, tick) : { value: null, problem: null };
  const estimatePrice = type === 'LIMIT' ? price.value : reference;

  const availableDec = available ? parseDec(available) : null;
  const riskPrice =
    type === 'LIMIT' ? price.value : reference ? rescale(mul(reference, MARKET_PRICE_BUFFER), tick.s, 'ceil') : null;
  const maxSize =
    availableDec && riskPrice
      ? maxOrderSize({
          available: availableDec,
          price: riskPrice,
          leverage,
          step,
          maxOrderSize: largest,
          sameSide: positionSize(positions, symbol, side === 'BUY' ? 'LONG' : 'SHORT'),
          opposite: positionSize(positions, symbol, side === 'BUY' ? 'SHORT' : 'LONG'),
        })
      : null;

  const derivedPercent = maxSize && size.value ? percentOf(size.value, maxSize) : 0;
  const percent = sliderPercent ?? derivedPercent;

  const summary = size.value && estimatePrice ? requirement(size.value, estimatePrice, leverage) : null;
  const openPosition = positions?.find((p) => p.symbol === symbol);
  const leverageClash =
    openPosition &&
    openPosition.leverage !== leverage &&
    (openPosition.side === 'LONG') === (side === 'BUY');

  const onSlider = (event: ChangeEvent<HTMLInputElement>) => {
    const next = Number(event.target.value);
    setSliderPercent(next);
    if (!maxSize) return;
    const target = floorToStep(
      divide(mul(maxSize, fromInt(next)), fromInt(PERCENT_STEPS), step.s, 'floor') ?? ZERO,
      step,
    );
    setSizeText(target.n > 0n ? trimZeros(toPlain(target)) : '');
  };

  const onTypeChange = (next: TicketType) => {
    setType(next);
    if (next === 'LIMIT' && priceText === '' && reference) {
      setPriceText(trimZeros(toPlain(rescale(floorToStep(reference, tick), tick.s, 'floor'))));
    }
  };

  const blocked =
    fetching ||
    !size.value ||
    (type === 'LIMIT' && !price.value);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (blocked || !size.value) return;
    setResult(null);
    const response = await placeOrder({
      input: {
        symbol,
        side,
        type,
        size: toPlain(size.value),
        leverage,
        price: type === 'LIMIT' && price.value ? toPlain(price.value) : null,
        clientOrderId: newClientOrderId(),
      },
    });
    const placed = response.data?.placeOrder;
    if (!placed) {
      setResult({
        tone: 'error',
        text: response.error ? describeError(response.error) : 'No answer from the server.',
      });
      return;
    }
    notifyTradingActivity();
    if (placed.__typename === 'OrderPlaced') {
      setResult(describePlacedOrder(placed.order, placed.fills, baseAsset, decimals));
    } else {
      setResult(describeUserError(placed));
    }
  };

  const sizeHint = `${id}-size-hint`;
  const priceHint = `${id}-price-hint`;
  const sideWord = side === 'BUY' ? 'Buy / Long' : 'Sell / Short';

  return (
    <section className="card ticket" aria-labelledby={`${id}-title`} data-testid="order-ticket">
      <div className="card-header">
        <h2 id={`${id}-title`}>Order ticket · {symbol}</h2>
        <span className="muted small" data-testid="ticket-available">
          Available{' '}
          <span className="num">{available ? formatFixed(available, 2) : available === null ? '—' : '…'}</span>{' '}
          USDT
        </span>
      </div>
      <form className="ticket-form" onSubmit={(event) => void submit(event)} noValidate>
        <ToggleGroup
          label="Side"
          className="ticket-sides"
          value={side}
          onChange={(next) => {
            setSide(next);
            setSliderPercent(null);
          }}
          options={[
            { value: 'BUY', label: 'Buy / Long', testId: 'ticket-side-buy', className: 'side-buy' },
            { value: 'SELL', label: 'Sell / Short', testId: 'ticket-side-sell', className: 'side-sell' },
          ]}
        />
        <div className="ticket-row">
          <span className="ticket-label" id={`${id}-type-label`}>
            Type
          </span>
          <ToggleGroup
            label="Order type"
            value={type}
            onChange={onTypeChange}
            options={[
              { value: 'MARKET', label: 'Market', testId: 'ticket-type-market', title: 'Trade now at the best hidden liquidity' },
              { value: 'LIMIT', label: 'Limit', testId: 'ticket-type-limit', title: 'Trade at your price or better; the rest waits hidden' },
            ]}
          />
        </div>
        <div className="ticket-row">
          <span className="ticket-label">Leverage</span>
          <ToggleGroup
            label="Leverage"
            value={leverage}
            onChange={(next) => {
              setLeverage(next);
              setSliderPercent(null);
            }}
            options={LEVERAGE_CHOICES.map((choice) => ({
              value: choice,
              label: `${choice}x`,
              testId: `ticket-leverage-${choice}`,
              title: `${choice}x leverage: initial margin ${marginRateLabel(choice)} of the notional`,
            }))}
          />
        </div>
        <p className={leverage > 500 ? 'ticket-note ticket-note-active' : 'ticket-note'}>
          Above 500x the initial margin is {bpsLabel(HIGH_TIER.initialMarginBps)} (positions up to{' '}
          {formatFixed(HIGH_TIER.maxNotional, 0)} USDT).
        </p>
        {leverageClash ? (
          <p className="ticket-note ticket-note-warn">
            Your {symbol} position is at {openPosition.leverage}x: add to it at {openPosition.leverage}x.
          </p>
        ) : null}

        <div className="ticket-field">
          <label htmlFor={`${id}-size`}>Size ({baseAsset})</label>
          <input
            id={`${id}-size`}
            className="num"
            type="text"
            inputMode="decimal"
            autoComplete="off"
            spellCheck={false}
            placeholder={trimZeros(toPlain(step))}
            value={sizeText}
            aria-invalid={size.problem ? true : undefined}
            aria-describedby={sizeHint}
            data-testid="ticket-size"
            onChange={(event) => {
              setSizeText(event.target.value);
              setSliderPercent(null);
            }}
          />
          <p id={sizeHint} className={size.problem ? 'field-hint field-problem' : 'field-hint'}>
            {size.problem ??
              (maxSize
                ? `Max ≈ ${formatQuantity(maxSize)} ${baseAsset} at ${leverage}x (estimate from your available balance${
                    type === 'MARKET' ? `, ${referenceLabel} + 0.1%` : ''
                  }).`
                : `Step ${trimZeros(toPlain(step))} ${baseAsset}.`)}
          </p>
        </div>
        <div className="ticket-slider">
          <label htmlFor={`${id}-percent`} className="visually-hidden">
            Size as a share of the estimated maximum
          </label>
          <input
            id={`${id}-percent`}
            type="range"
            min={0}
            max={100}
            step={1}
            value={percent}
            disabled={!maxSize || maxSize.n <= 0n}
            aria-valuetext={`${percent}% of the estimated maximum`}
            data-testid="ticket-size-slider"
            onChange={onSlider}
          />
          <span className="num ticket-percent" aria-hidden="true">
            {percent}%
          </span>
        </div>

        {type === 'LIMIT' ? (
          <div className="ticket-field">
            <label htmlFor={`${id}-price`}>Limit price (USDT)</label>
            <input
              id={`${id}-price`}
              className="num"
              type="text"
              inputMode="decimal"
              autoComplete="off"
              spellCheck={false}
              value={priceText}
              aria-invalid={price.problem ? true : undefined}
              aria-describedby={priceHint}
              data-testid="ticket-price"
              onChange={(event) => {
                setPriceText(event.target.value);
                setSliderPercent(null);
              }}
            />
            <p id={priceHint} className={price.problem ? 'field-hint field-problem' : 'field-hint'}>
              {price.problem ??
                `Tick ${trimZeros(toPlain(tick))} USDT. ${side === 'BUY' ? 'Buys' : 'Sells'} at this price or better; the rest waits hidden.`}
            </p>
          </div>
        ) : null}

        <OrderSummary
          summary={summary}
          leverage={leverage}
          priceLabel={
            type === 'LIMIT'
              ? price.value
                ? formatFixed(price.value, Math.max(decimals, tick.s))
                : null
              : reference
                ? `≈ ${formatFixed(reference, decimals)} (${referenceLabel})`
                : null
          }
          estimate={type === 'MARKET'}
          feeLabel={bpsLabel(TAKER_FEE_BPS)}
          overBalance={
            summary !== null && availableDec !== null && cmp(summary.total, availableDec) > 0
          }
        />

        <button
          type="submit"
          className={side === 'BUY' ? 'ticket-submit side-buy' : 'ticket-submit side-sell'}
          // While the order is on its way the button stays focusable (submit() ignores a second
          // press): a disabled button would drop keyboard focus to the top of the page.
          disabled={blocked && !fetching}
          aria-disabled={fetching || undefined}
          data-testid="ticket-submit"
        >
          {fetching
            ? 'Placing order…'
            : `${sideWord}${size.value ? ` ${formatQuantity(size.value)} ${baseAsset}` : ''}${
                type === 'LIMIT' ? ' (limit)' : ''
              }`}
        </button>
        <ResultMessage result={result} testId="ticket-result" />
      </form>
    </section>
  );
}
