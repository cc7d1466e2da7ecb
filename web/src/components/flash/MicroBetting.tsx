import { useCallback, useId, useState, type FormEvent } from 'react';
import { useMutation } from 'urql';
import { useSession } from '../../auth/AuthProvider';
import { privatePollingClient } from '../../graphql/client';
import { describeError } from '../../graphql/errors';
import { ErrorMessage } from '../ErrorMessage';
import { SAFETY_NET_MS, usePolledQuery } from '../markets/hooks';
import { ResultMessage } from '../trading/ResultMessage';
import { add, cmp, dec, formatFixed, max, mul, parseDec, rescale, toPlain, trimZeros } from '../trading/decimal';
import {
  newClientOrderId,
  notifyTradingActivity,
  useAvailableUsdt,
  useSubscriptionEvents,
  useTradingActivity,
} from '../trading/hooks';
import type { ActionResult } from '../trading/results';
import { formatCountdown, friendlyFlashError } from './flashFormat';
import {
  CloseMicroSessionMutation,
  MicroEventsSubscription,
  MicroMarketsQuery,
  MicroMarketsSubscription,
  MyMicroSessionsQuery,
  OpenMicroSessionMutation,
  PlaceMicroBetMutation,
  type MicroBet,
  type MicroError,
  type MicroEvent,
  type MicroMarket,
  type MicroSession,
  type StreetEvent,
} from './microOperations';

// Seed 002 §1.1 as the engine applies it (docs/micro-bets.md): shown before opening.
const RESERVE_SHARE = dec('0.1');
const MINIMUM_RESERVE = dec('1');
const MINIMUM_STAKE = dec('0.01');
// The open session's changes arrive by `microEvents`; the list's timer is a safety net.
const SESSIONS_REFRESH_MS = SAFETY_NET_MS;
const STREET_SHOWN = 8;
const NO_VARIABLES = {};

const MICRO_FRIENDLY: Record<string, string> = {
  INSUFFICIENT_BALANCE: 'The stake is above your session balance (the reserve is never bettable).',
  STAKE_TOO_LARGE: 'A stake may be at most 10% of the session balance.',
  TOO_MANY_BETS: 'A session may have at most 5 open bets. Wait for one to settle.',
  SESSION_CLOSED: 'This session is closed. Open a new one to bet again.',
  INVALID_DEPOSIT: 'The deposit must be more than the 1 USDT minimum reserve.',
  TOO_MANY_SESSIONS: 'You already have 5 open sessions. Close one first.',
  UNKNOWN_SESSION: 'This session is not yours or no longer exists.',
  UNKNOWN_MICRO_MARKET: 'This offer no longer exists. Pick another one.',
  MARKET_CLOSED: 'This offer takes no more bets: its window has started.',
  LIMIT_REACHED: 'A limit is reached (yours, or the house cannot cover this bet). Try a smaller stake.',
};

function friendlyMicroError(error: MicroError): string {
  const base = MICRO_FRIENDLY[error.code] ?? friendlyFlashError(error);
  if (error.__typename === 'TooFastError' && error.retryAfter) return `${base} Try again in ${Math.ceil(error.retryAfter)} s.`;
  return base;
}

/** The protected reserve of a deposit: max(10%, 1 USDT), as the engine computes it. */
function reserveOf(deposit: string): string | null {
  const value = parseDec(deposit);
  if (!value) return null;
  return toPlain(max(rescale(mul(value, RESERVE_SHARE), 6, 'floor'), MINIMUM_RESERVE));
}

function checkAmount(text: string, label: string): { value: string | null; problem: string | null } {
  if (text.trim() === '') return { value: null, problem: null };
  const value = parseDec(text);
  if (!value || value.n <= 0n) return { value: null, problem: `Enter ${label} above zero.` };
  if (value.s > 6) return { value: null, problem: 'At most 6 decimals (1 micro-USDT).' };
  return { value: trimZeros(toPlain(value)), problem: null };
}

const STATUS_LABEL: Record<MicroBet['status'], string> = { OPEN: 'Open', WON: 'Won', LOST: 'Lost', VOID: 'Void (refunded)' };

function streetLabel(event: StreetEvent): string {
  const parts = [event.colour, event.kind, event.direction ? `(${event.direction})` : null];
  return parts.filter((part) => part !== null).join(' ');
}

/** Micro-bets: a pre-funded session, the observed street, the offers, bets and results. */
export function MicroBetting({ now }: { now: number }) {
  const id = useId();
  const accountId = useSession()?.accountId ?? null;
  const [result, setResult] = useState<ActionResult | null>(null);
  const [live, setLive] = useState<MicroSession | null>(null);
  const [street, setStreet] = useState<StreetEvent[]>([]);
  const sessions = usePolledQuery(MyMicroSessionsQuery, () => NO_VARIABLES, SESSIONS_REFRESH_MS, `micro-sessions:${accountId ?? ''}`, {
    client: privatePollingClient,
    enabled: accountId !== null,
  });
  const polled = sessions.data?.myMicroSessions.find((s) => s.status === 'OPEN') ?? null;
  // The subscription's copy is newer than the poll's while they agree on the session;
  // once it says closed (e.g. stopped from a reality check) the session is gone.
  const current = live && polled && live.id === polled.id ? live : polled;
  const session = current?.status === 'OPEN' ? current : null;
  // Sessions closed elsewhere in this tab (the reality check's "stop") refresh the list at once.
  useTradingActivity(sessions.refresh);

  const onEvent = useCallback((data: { microEvents: MicroEvent }) => {
    const event = data.microEvents;
    if (event.street) {
      const seen = event.street;
      setStreet((previous) => [seen, ...previous].slice(0, STREET_SHOWN));
    }
    if (event.session) setLive(event.session);
    if (event.kind === 'BET_SETTLED') notifyTradingActivity();
  }, []);
  const streamError = useSubscriptionEvents(
    MicroEventsSubscription,
    { sessionId: session?.id ?? '' },
    `micro-events:${session?.id ?? ''}`,
    onEvent,
    session !== null,
  );

  const refresh = sessions.refresh;
  const update = (next: MicroSession) => {
    setLive(next);
    refresh();
    notifyTradingActivity();
  };

  return (
    <section className="card micro-betting" aria-labelledby={`${id}-title`} data-testid="micro-betting">
      <div className="card-header">
        <h2 id={`${id}-title`}>Micro-bets · live street</h2>
        <span className="muted small">fixed odds, 5% house margin, settled by 2 of 3 observers</span>
      </div>
      {sessions.error ? <ErrorMessage error={sessions.error} context="Micro sessions" /> : null}
      {session === null ? (
        <OpenSessionForm onOpened={update} onResult={setResult} />
      ) : (
        <>
          <SessionSummary session={session} onClosed={(closed) => { setLive(null); setStreet([]); refresh(); notifyTradingActivity(); setResult(closed); }} onResult={setResult} />
          <div className="micro-columns">
            <StreetFeed events={street} error={streamError !== null} />
            <MicroOffers session={session} now={now} onPlaced={update} onResult={setResult} />
          </div>
          <MicroBets bets={session.bets} />
        </>
      )}
      <ResultMessage result={result} testId="micro-result" />
    </section>
  );
}

function OpenSessionForm({ onOpened, onResult }: { onOpened: (s: MicroSession) => void; onResult: (r: ActionResult | null) => void }) {
  const id = useId();
  const [depositText, setDepositText] = useState('50');
  const [{ fetching }, open] = useMutation(OpenMicroSessionMutation);
  const { data: available } = useAvailableUsdt();
  const deposit = checkAmount(depositText, 'a deposit');
  const reserve = deposit.value ? reserveOf(deposit.value) : null;
  const tooSmall = deposit.value !== null && reserve !== null && cmp(dec(deposit.value), dec(reserve)) <= 0;
  const overBalance = deposit.value !== null && available ? cmp(dec(deposit.value), parseDec(available) ?? dec('0')) > 0 : false;
  const problem = deposit.problem ?? (tooSmall ? 'The deposit must be more than the reserve (at least 1 USDT).' : overBalance ? 'More than your available USDT.' : null);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!deposit.value || problem) return;
    const response = await open({ deposit: deposit.value });
    const answer = response.data?.openMicroSession;
    if (!answer) {
      onResult({ tone: 'error', text: response.error ? describeError(response.error) : 'No answer from the server.' });
    } else if (answer.__typename === 'MicroSession' && 'id' in answer) {
      onResult({ tone: 'success', text: `Session open: ${formatFixed(answer.balance, 2)} USDT to bet, ${formatFixed(answer.reserve, 2)} USDT reserve kept safe.` });
      onOpened(answer);
    } else {
      const error = answer as MicroError;
      onResult({ tone: 'error', text: friendlyMicroError(error), code: error.code });
    }
  };

  return (
    <form className="micro-open" onSubmit={submit} noValidate data-testid="micro-open-form">
      <p className="muted small">
        One deposit funds a session. 10% of it (at least 1 USDT) is a protected reserve that is never bet and comes back when you close.
      </p>
      <label htmlFor={`${id}-deposit`}>Deposit (USDT)</label>
      <input
        id={`${id}-deposit`}
        inputMode="decimal"
        value={depositText}
        onChange={(event) => setDepositText(event.target.value)}
        aria-describedby={`${id}-split`}
        aria-invalid={problem !== null}
        data-testid="micro-deposit"
      />
      <p id={`${id}-split`} className={problem ? 'field-hint field-problem' : 'field-hint'} data-testid="micro-deposit-split">
        {problem ??
          (deposit.value && reserve
            ? `Reserve (protected): ${formatFixed(reserve, 2)} USDT · to bet: ${formatFixed(toPlain(add(dec(deposit.value), mul(dec(reserve), dec('-1')))), 2)} USDT`
            : 'Enter a deposit.')}
      </p>
      <button type="submit" className="btn btn-primary" disabled={fetching || !deposit.value || problem !== null} data-testid="micro-open">
        {fetching ? 'Opening…' : 'Open session'}
      </button>
    </form>
  );
}

function SessionSummary({
  session,
  onClosed,
  onResult,
}: {
  session: MicroSession;
  onClosed: (r: ActionResult) => void;
  onResult: (r: ActionResult | null) => void;
}) {
  const [{ fetching }, close] = useMutation(CloseMicroSessionMutation);
  const back = add(add(dec(session.reserve), dec(session.balance)), dec(session.inPlay));
  const submit = async () => {
    const response = await close({ sessionId: session.id });
    const answer = response.data?.closeMicroSession;
    if (!answer) {
      onResult({ tone: 'error', text: response.error ? describeError(response.error) : 'No answer from the server.' });
    } else if (answer.__typename === 'MicroSessionClosed' && 'totalReturned' in answer) {
      onClosed({
        tone: 'success',
        text: `Session closed: ${formatFixed(answer.totalReturned, 2)} USDT back to your balance (reserve ${formatFixed(answer.reserveReturned, 2)} + balance ${formatFixed(answer.balanceReturned, 2)}).`,
      });
    } else {
      const error = answer as MicroError;
      onResult({ tone: 'error', text: friendlyMicroError(error), code: error.code });
    }
  };
  return (
    <div className="micro-summary" data-testid="micro-session">
      <dl className="micro-figures">
        <div>
          <dt>Balance to bet</dt>
          <dd data-testid="micro-balance">{formatFixed(session.balance, 2)} USDT</dd>
        </div>
        <div>
          <dt>In play</dt>
          <dd data-testid="micro-in-play">{formatFixed(session.inPlay, 2)} USDT</dd>
        </div>
        <div>
          <dt>Protected reserve</dt>
          <dd data-testid="micro-reserve">{formatFixed(session.reserve, 2)} USDT</dd>
        </div>
        <div>
          <dt>Largest stake now</dt>
          <dd>{formatFixed(session.maxStake, 2)} USDT</dd>
        </div>
      </dl>
      <button type="button" className="btn" onClick={submit} disabled={fetching} data-testid="micro-close">
        {fetching ? 'Closing…' : `Close session · ${formatFixed(toPlain(back), 2)} USDT comes back`}
      </button>
      {session.openBets > 0 ? <p className="muted small">Closing voids open bets and refunds their stakes.</p> : null}
    </div>
  );
}

function StreetFeed({ events, error }: { events: StreetEvent[]; error: boolean }) {
  return (
    <div className="micro-street" data-testid="micro-street">
      <h3>Street camera (observed)</h3>
      {error ? <p className="muted small">Reconnecting to the live feed…</p> : null}
      {events.length === 0 ? (
        <p className="muted small">Waiting for the observers' reports (about 2 s behind live)…</p>
      ) : (
        <ol className="micro-street-list" aria-live="off">
          {events.map((event) => (
            <li key={`${event.occurredAt}-${event.kind}`} data-testid="micro-street-event">
              <time dateTime={event.occurredAt}>{new Date(event.occurredAt).toLocaleTimeString()}</time> {streetLabel(event)}
              <span className="muted small"> · {event.observers}/3</span>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}

function MicroOffers({
  session,
  now,
  onPlaced,
  onResult,
}: {
  session: MicroSession;
  now: number;
  onPlaced: (s: MicroSession) => void;
  onResult: (r: ActionResult | null) => void;
}) {
  // Offers arrive by subscription as they are listed; the query is the first paint and a
  // safety net while the socket is down.
  const { data, error } = usePolledQuery(MicroMarketsQuery, () => NO_VARIABLES, SAFETY_NET_MS, 'micro-markets');
  const [live, setLive] = useState<MicroMarket[] | null>(null);
  const liveError = useSubscriptionEvents(MicroMarketsSubscription, NO_VARIABLES, 'micro-offers', (pushed) =>
    setLive(pushed.microMarkets),
  );
  const [choice, setChoice] = useState<{ market: MicroMarket; outcome: string } | null>(null);
  const offers = ((liveError ? null : live) ?? data?.microMarkets ?? []).filter((m) => Date.parse(m.opensAt) > now);
  return (
    <div className="micro-offers" data-testid="micro-offers">
      <h3>Offers</h3>
      {error ? <ErrorMessage error={error} context="Micro offers" /> : null}
      {offers.length === 0 ? <p className="muted small">Loading offers…</p> : null}
      <ul className="micro-offer-list">
        {offers.map((market) => (
          <li key={market.id} className="micro-offer" data-testid="micro-offer" data-offer-id={market.id}>
            <p className="micro-question">{market.question}</p>
            <p className="muted small">
              {market.betType.toLowerCase()} · bets close in <span className="mono">{formatCountdown(Date.parse(market.opensAt) - now)}</span>
              {' '}· window {Math.round((Date.parse(market.closesAt) - Date.parse(market.opensAt)) / 1000)} s · margin {market.houseMarginPercent}%
            </p>
            <div className="micro-outcomes" role="group" aria-label={`Outcomes: ${market.question}`}>
              {market.outcomes.map((o) => (
                <button
                  key={o.outcome}
                  type="button"
                  className={`btn btn-small${choice?.market.id === market.id && choice.outcome === o.outcome ? ' btn-primary' : ''}`}
                  aria-pressed={choice?.market.id === market.id && choice.outcome === o.outcome}
                  onClick={() => setChoice({ market, outcome: o.outcome })}
                  data-testid="micro-outcome"
                >
                  {o.outcome} <span className="mono">{o.decimalOdds}</span>
                </button>
              ))}
            </div>
            {choice?.market.id === market.id ? (
              <MicroBetForm session={session} market={market} outcome={choice.outcome} onPlaced={(s) => { setChoice(null); onPlaced(s); }} onResult={onResult} />
            ) : null}
          </li>
        ))}
      </ul>
    </div>
  );
}

function MicroBetForm({
  session,
  market,
  outcome,
  onPlaced,
  onResult,
}: {
  session: MicroSession;
  market: MicroMarket;
  outcome: string;
  onPlaced: (s: MicroSession) => void;
  onResult: (r: ActionResult | null) => void;
}) {
  const id = useId();
  const [stakeText, setStakeText] = useState('1');
  const [{ fetching }, place] = useMutation(PlaceMicroBetMutation);
  const stake = checkAmount(stakeText, 'a stake');
  const odds = market.outcomes.find((o) => o.outcome === outcome)?.decimalOdds ?? '0';
  const value = stake.value ? dec(stake.value) : null;
  const problem =
    stake.problem ??
    (value === null
      ? null
      : cmp(value, MINIMUM_STAKE) < 0
        ? 'The smallest stake is 0.01 USDT.'
        : cmp(value, dec(session.balance)) > 0
          ? 'More than your session balance.'
          : cmp(value, dec(session.maxStake)) > 0
            ? `At most ${formatFixed(session.maxStake, 2)} USDT (10% of the balance).`
            : null);
  const payout = value ? toPlain(rescale(mul(value, dec(odds)), 6, 'floor')) : null;

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!stake.value || problem) return;
    const response = await place({
      input: { sessionId: session.id, marketId: market.id, outcome, stake: stake.value, clientBetId: newClientOrderId() },
    });
    const answer = response.data?.placeMicroBet;
    if (!answer) {
      onResult({ tone: 'error', text: response.error ? describeError(response.error) : 'No answer from the server.' });
    } else if (answer.__typename === 'MicroBetPlaced' && 'bet' in answer) {
      onResult({
        tone: 'success',
        text: `Bet placed: ${formatFixed(answer.bet.stake, 2)} USDT on ${answer.bet.outcome} at ${answer.bet.decimalOdds}; pays ${formatFixed(answer.bet.potentialPayout, 2)} USDT if it wins.`,
      });
      onPlaced(answer.session);
    } else {
      const error = answer as MicroError;
      onResult({ tone: 'error', text: friendlyMicroError(error), code: error.code });
    }
  };

  return (
    <form className="micro-bet-form" onSubmit={submit} noValidate data-testid="micro-bet-form">
      <label htmlFor={`${id}-stake`}>Stake on {outcome} (USDT)</label>
      <input
        id={`${id}-stake`}
        inputMode="decimal"
        value={stakeText}
        onChange={(event) => setStakeText(event.target.value)}
        aria-invalid={problem !== null}
        aria-describedby={`${id}-hint`}
        data-testid="micro-stake"
      />
      <p id={`${id}-hint`} className={problem ? 'field-hint field-problem' : 'field-hint'}>
        {problem ?? (payout ? `Odds ${odds} fixed now: pays ${formatFixed(payout, 2)} USDT if ${outcome}.` : 'Enter a stake.')}
      </p>
      <button type="submit" className="btn btn-primary" disabled={fetching || problem !== null || !stake.value} data-testid="micro-place">
        {fetching ? 'Placing…' : 'Place bet'}
      </button>
    </form>
  );
}

function MicroBets({ bets }: { bets: MicroBet[] }) {
  if (bets.length === 0) return <p className="muted small" data-testid="micro-no-bets">No micro-bets in this session yet.</p>;
  return (
    <div className="table-scroll">
      <table className="data-table" data-testid="micro-bets">
        <caption className="visually-hidden">Bets of this session</caption>
        <thead>
          <tr>
            <th scope="col">Offer</th>
            <th scope="col">Pick</th>
            <th scope="col" className="num">Stake</th>
            <th scope="col" className="num">Odds</th>
            <th scope="col">Result</th>
            <th scope="col" className="num">Paid</th>
          </tr>
        </thead>
        <tbody>
          {bets.map((bet) => (
            <tr key={bet.id} data-testid="micro-bet-row">
              <td>{bet.question ?? bet.marketId}</td>
              <td>{bet.outcome}</td>
              <td className="num">{formatFixed(bet.stake, 2)}</td>
              <td className="num">{bet.decimalOdds}</td>
              <td>
                <span className={`flash-result flash-result-${bet.status === 'VOID' ? 'refunded' : bet.status.toLowerCase()}`} data-testid="micro-bet-status">
                  {STATUS_LABEL[bet.status]}
                </span>
              </td>
              <td className="num">{bet.status === 'OPEN' ? '—' : formatFixed(bet.returned, 2)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
