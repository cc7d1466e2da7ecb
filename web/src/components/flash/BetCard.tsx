import { useId, useState, type FormEvent } from 'react';
import { useClient, useMutation } from 'urql';
import { describeError } from '../../graphql/errors';
import {
  PlaceFlashBetMutation,
  QuoteFlashQuery,
  type FlashMarket,
  type FlashQuote,
} from '../../graphql/flashOperations';
import { ResultMessage } from '../trading/ResultMessage';
import { add, cmp, dec, formatFixed, min, parseDec, rescale, toPlain, trimZeros } from '../trading/decimal';
import { newClientOrderId, notifyTradingActivity, useAvailableUsdt } from '../trading/hooks';
import type { ActionResult } from '../trading/results';
import { ToggleGroup } from '../trading/ToggleGroup';
import { formatProbability } from './format';
import { notifyFlashBet } from './flashHooks';
import { flashOutcomeLabel, formatCountdown, friendlyFlashError, takesBets } from './flashFormat';

/** A confirmed bet may fill at most this much worse (in probability) than its quote. */
const SLIPPAGE = dec('0.02');
const ONE = dec('1');
const STAKE_CHOICES = ['1', '5', '10', '25'];

function checkStake(text: string): { value: string | null; problem: string | null } {
  if (text.trim() === '') return { value: null, problem: null };
  const value = parseDec(text);
  if (!value || value.n <= 0n) return { value: null, problem: 'Enter a stake above zero, such as 5.' };
  if (value.s > 6) return { value: null, problem: 'At most 6 decimals (1 micro-USDT).' };
  return { value: trimZeros(toPlain(value)), problem: null };
}

/**
 * Choose an outcome and a stake, see the quote, then confirm. Without `onClose` the card
 * has no Close of its own: the bottom sheet that holds it on a phone has one.
 */
export function BetCard({ market, now, onClose }: { market: FlashMarket; now: number; onClose?: () => void }) {
  const id = useId();
  const client = useClient();
  const [outcome, setOutcome] = useState(market.outcomes[0]?.outcome ?? '');
  const [stakeText, setStakeText] = useState('5');
  const [quote, setQuote] = useState<FlashQuote | null>(null);
  const [quoting, setQuoting] = useState(false);
  const [result, setResult] = useState<ActionResult | null>(null);
  const [{ fetching }, placeBet] = useMutation(PlaceFlashBetMutation);
  const { data: available } = useAvailableUsdt();
  const stake = checkStake(stakeText);
  const open = takesBets(market, now);

  const forget = () => {
    setQuote(null);
    setResult(null);
  };

  const getQuote = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!stake.value || !open) return;
    setQuoting(true);
    setResult(null);
    const response = await client
      .query(QuoteFlashQuery, { marketId: market.id, outcome, stake: stake.value }, { requestPolicy: 'network-only' })
      .toPromise();
    setQuoting(false);
    const answer = response.data?.quoteFlash;
    if (!answer) {
      setQuote(null);
      setResult({ tone: 'error', text: response.error ? describeError(response.error) : 'No answer from the server.' });
    } else if (!('code' in answer)) {
      setQuote(answer);
    } else {
      setQuote(null);
      setResult({ tone: 'error', text: friendlyFlashError(answer), code: answer.code });
    }
  };

  const confirm = async () => {
    if (!quote) return;
    const average = parseDec(quote.averagePrice);
    const worst = average ? rescale(min(add(average, SLIPPAGE), ONE), 6, 'floor') : null;
    const response = await placeBet({
      input: {
        marketId: market.id,
        outcome: quote.outcome,
        stake: quote.stake,
        clientBetId: newClientOrderId(),
        maxAveragePrice: worst ? toPlain(worst) : null,
      },
    });
    const placed = response.data?.placeFlashBet;
    setQuote(null);
    if (!placed) {
      setResult({ tone: 'error', text: response.error ? describeError(response.error) : 'No answer from the server.' });
      return;
    }
    notifyFlashBet();
    notifyTradingActivity();
    if ('bet' in placed) {
      const bet = placed.bet;
      setResult({
        tone: 'success',
        text: `Bet placed: ${formatFixed(bet.shares, 2)} shares of ${flashOutcomeLabel(bet.outcome)} for ${formatFixed(
          bet.stake,
          2,
        )} USDT; pays ${formatFixed(bet.potentialPayout, 2)} USDT if it wins.`,
      });
    } else {
      setResult({ tone: 'error', text: friendlyFlashError(placed), code: placed.code });
    }
  };

  const overBalance =
    stake.value !== null && available ? cmp(dec(stake.value), parseDec(available) ?? dec('0')) > 0 : false;

  return (
    <section className="card flash-bet-card" aria-labelledby={`${id}-title`} data-testid="flash-bet-card">
      <div className="card-header">
        <h2 id={`${id}-title`}>Bet · {market.title}</h2>
        {onClose ? (
          <button type="button" className="btn btn-small btn-ghost" onClick={onClose} data-testid="flash-bet-close">
            Close<span className="visually-hidden"> the bet card</span>
          </button>
        ) : null}
      </div>
      <p className="muted small">
        {open ? (
          <>
            Bets close in <span className="num">{formatCountdown(Date.parse(market.deadline) - now)}</span>. Fee{' '}
            {trimZeros(market.feePercent)}% of the stake. Each share pays 1 USDT if its outcome wins.
          </>
        ) : (
          'This market takes no more bets.'
        )}
      </p>
      <form className="ticket-form" onSubmit={(event) => void getQuote(event)} noValidate>
        <div className="ticket-row">
          <span className="ticket-label">Outcome</span>
          <ToggleGroup
            label="Outcome"
            value={outcome}
            onChange={(next) => {
              setOutcome(next);
              forget();
            }}
            options={market.outcomes.map((o) => ({
              value: o.outcome,
              label: `${flashOutcomeLabel(o.outcome)} ${formatProbability(o.price)}`,
              testId: `flash-outcome-${o.outcome}`,
            }))}
          />
        </div>
        <div className="ticket-field">
          <label htmlFor={`${id}-stake`}>Stake (USDT, fee included)</label>
          <input
            id={`${id}-stake`}
            className="num"
            type="text"
            inputMode="decimal"
            autoComplete="off"
            spellCheck={false}
            value={stakeText}
            aria-invalid={stake.problem ? true : undefined}
            aria-describedby={`${id}-stake-hint`}
            data-testid="flash-stake"
            onChange={(event) => {
              setStakeText(event.target.value);
              forget();
            }}
          />
          <p id={`${id}-stake-hint`} className={stake.problem || overBalance ? 'field-hint field-problem' : 'field-hint'}>
            {stake.problem ??
              (overBalance
                ? 'More than your available balance.'
                : `Available ${available ? formatFixed(available, 2) : '…'} USDT.`)}
          </p>
          <div className="flash-stake-choices" role="group" aria-label="Quick stakes">
            {STAKE_CHOICES.map((choice) => (
              <button
                key={choice}
                type="button"
                className="btn btn-small"
                onClick={() => {
                  setStakeText(choice);
                  forget();
                }}
              >
                {choice} USDT
              </button>
            ))}
          </div>
        </div>
        <button
          type="submit"
          className="btn"
          disabled={!open || !stake.value || quoting}
          data-testid="flash-get-quote"
        >
          {quoting ? 'Quoting…' : 'Get a quote'}
        </button>
      </form>
      {quote ? (
        <div className="flash-quote" data-testid="flash-quote">
          <dl className="flash-quote-figures">
            <dt>Shares</dt>
            <dd className="num" data-testid="flash-quote-shares">
              {formatFixed(quote.shares, 2)}
            </dd>
            <dt>Average price</dt>
            <dd className="num">{formatProbability(quote.averagePrice)}</dd>
            <dt>Price impact</dt>
            <dd className="num">
              {formatProbability(quote.priceBefore)} → {formatProbability(quote.priceAfter)}
            </dd>
            <dt>Fee</dt>
            <dd className="num">{formatFixed(quote.fee, 2)} USDT</dd>
            <dt>Payout if {flashOutcomeLabel(quote.outcome)} wins</dt>
            <dd className="num" data-testid="flash-quote-payout">
              {formatFixed(quote.potentialPayout, 2)} USDT
            </dd>
          </dl>
          <div className="form-actions">
            <button
              type="button"
              className="btn btn-primary"
              disabled={fetching || !open}
              onClick={() => void confirm()}
              data-testid="flash-confirm"
            >
              {fetching ? 'Placing…' : `Confirm: ${formatFixed(quote.stake, 2)} USDT on ${flashOutcomeLabel(quote.outcome)}`}
            </button>
            <button type="button" className="btn btn-ghost" onClick={forget}>
              Cancel
            </button>
          </div>
          <p className="muted small">Refused if the price moves more than 2 points before it fills.</p>
        </div>
      ) : null}
      <ResultMessage result={result} testId="flash-bet-result" />
    </section>
  );
}
