import { useCallback, useId, useState, type FormEvent } from 'react';
import { useClient, useMutation } from 'urql';
import { useSession } from '../../auth/AuthProvider';
import { privatePollingClient } from '../../graphql/client';
import {
  AcknowledgeRealityCheckMutation,
  RealityCheckSubscription,
  ResponsibleGamingQuery,
  SelfExcludeMutation,
  SetLimitsMutation,
  StartCoolOffMutation,
  type LimitPeriod,
  type RealityCheck,
  type ResponsibleGamingResult,
} from '../../graphql/flashOperations';
import { Modal } from '../Modal';
import { SAFETY_NET_MS, usePolledQuery } from '../markets/hooks';
import { formatFixed, parseDec } from '../trading/decimal';
import { notifyTradingActivity, useSubscriptionEvents } from '../trading/hooks';
import { CloseMicroSessionMutation, MyMicroSessionsQuery } from './microOperations';

const REFRESH_MS = SAFETY_NET_MS;
const COOL_OFFS: ReadonlyArray<{ hours: number; label: string }> = [
  { hours: 24, label: '24 hours' },
  { hours: 24 * 7, label: '1 week' },
  { hours: 24 * 42, label: '6 weeks' },
];
const EXCLUSIONS: ReadonlyArray<{ days: number; label: string }> = [
  { days: 183, label: '6 months' },
  { days: 365, label: '1 year' },
  { days: 1826, label: '5 years' },
];

function when(iso: string | null): string {
  return iso ? new Date(iso).toLocaleString() : '—';
}

function describe(result: ResponsibleGamingResult | undefined, done: string): string {
  if (!result) return 'No answer from the server.';
  return 'code' in result ? result.message : done;
}

function useResponsibleGaming() {
  const accountId = useSession()?.accountId ?? null;
  return usePolledQuery(ResponsibleGamingQuery, () => ({}), REFRESH_MS, `rg:${accountId ?? ''}`, {
    client: privatePollingClient,
    enabled: accountId !== null,
  });
}

/** Limits, cool-off and self-exclusion: opened from the Flash page's toolbar. */
function ResponsibleGamingPanel({ onClose }: { onClose: () => void }) {
  const id = useId();
  const { data, refresh } = useResponsibleGaming();
  const status = data?.responsibleGaming;
  const [period, setPeriod] = useState<LimitPeriod>('DAY');
  const [amount, setAmount] = useState('');
  const [exclusionDays, setExclusionDays] = useState<number | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [, setLimits] = useMutation(SetLimitsMutation);
  const [, coolOff] = useMutation(StartCoolOffMutation);
  const [, selfExclude] = useMutation(SelfExcludeMutation);

  const saveLimit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const value = amount.trim() === '' ? null : amount.trim();
    if (value !== null && !parseDec(value)) return setMessage('Enter an amount such as 50.');
    const response = await setLimits({ limits: [{ kind: 'LOSS', period, amount: value }] });
    setMessage(describe(response.data?.setLimits, 'Saved. A lower limit applies now; a higher one after 24 hours.'));
    refresh();
  };

  return (
    <Modal title="Responsible gaming" onClose={onClose} testId="rg-panel">
      <div className="rg-body">
        <table className="data-table" aria-label="Your limits">
          <thead>
            <tr>
              <th scope="col">Limit</th>
              <th scope="col" className="num">Amount</th>
              <th scope="col" className="num">Used</th>
              <th scope="col">Pending</th>
            </tr>
          </thead>
          <tbody>
            {(status?.limits ?? []).map((limit) => (
              <tr key={`${limit.kind}-${limit.period}`} data-testid={`rg-limit-${limit.kind}-${limit.period}`}>
                <td>
                  {limit.kind === 'LOSS' ? 'Loss' : 'Deposit'} per {limit.period.toLowerCase()}
                </td>
                <td className="num">{limit.amount ? formatFixed(limit.amount, 2) : 'none'}</td>
                <td className="num">{formatFixed(limit.used, 2)}</td>
                <td>
                  {limit.pending
                    ? `${limit.pending.amount ? formatFixed(limit.pending.amount, 2) : 'none'} from ${when(limit.pending.effectiveAt)}`
                    : ''}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <form className="rg-form" onSubmit={(event) => void saveLimit(event)}>
          <label htmlFor={`${id}-period`}>Loss limit per</label>
          <select id={`${id}-period`} value={period} onChange={(event) => setPeriod(event.target.value as LimitPeriod)}>
            <option value="DAY">day</option>
            <option value="WEEK">week</option>
            <option value="MONTH">month</option>
          </select>
          <label htmlFor={`${id}-amount`} className="visually-hidden">
            Loss limit in USDT (empty removes it)
          </label>
          <input
            id={`${id}-amount`}
            type="text"
            inputMode="decimal"
            className="num"
            placeholder="USDT"
            value={amount}
            data-testid="rg-loss-amount"
            onChange={(event) => setAmount(event.target.value)}
          />
          <button type="submit" className="btn btn-small" data-testid="rg-save-limit">
            Save limit
          </button>
        </form>
        <p className="muted small">
          Next reality check: {when(status?.nextRealityCheckAt ?? null)}
          {status?.slowedUntil ? ` · play slowed until ${when(status.slowedUntil)}` : ''}
        </p>
        <h3>Take a break</h3>
        {status?.coolOffUntil ? (
          <p data-testid="rg-cool-off-until">On a break until {when(status.coolOffUntil)}.</p>
        ) : (
          <div className="form-actions">
            {COOL_OFFS.map((choice) => (
              <button
                key={choice.hours}
                type="button"
                className="btn btn-small"
                onClick={async () => {
                  const response = await coolOff({ hours: choice.hours });
                  setMessage(describe(response.data?.startCoolOff, `Break started: ${choice.label}. It cannot be lifted early.`));
                  refresh();
                }}
              >
                Cool off {choice.label}
              </button>
            ))}
          </div>
        )}
        <h3>Self-exclusion</h3>
        {status?.selfExcludedUntil ? (
          <p data-testid="rg-excluded-until">Excluded until {when(status.selfExcludedUntil)}.</p>
        ) : exclusionDays === null ? (
          <div className="form-actions">
            {EXCLUSIONS.map((choice) => (
              <button key={choice.days} type="button" className="btn btn-small btn-danger" onClick={() => setExclusionDays(choice.days)}>
                Exclude me for {choice.label}
              </button>
            ))}
          </div>
        ) : (
          <div className="rg-confirm" role="alertdialog" aria-label="Confirm self-exclusion">
            <p>
              You will not be able to bet for {EXCLUSIONS.find((c) => c.days === exclusionDays)?.label}, and this cannot be
              undone early. Open micro sessions are closed and their money returned.
            </p>
            <div className="form-actions">
              <button
                type="button"
                className="btn btn-small btn-danger"
                data-testid="rg-confirm-exclusion"
                onClick={async () => {
                  const response = await selfExclude({ days: exclusionDays, confirm: true });
                  setMessage(describe(response.data?.selfExclude, 'You are excluded from betting.'));
                  setExclusionDays(null);
                  refresh();
                }}
              >
                Yes, exclude me
              </button>
              <button type="button" className="btn btn-small btn-ghost" onClick={() => setExclusionDays(null)}>
                Cancel
              </button>
            </div>
          </div>
        )}
        <p role="status" aria-live="polite" data-testid="rg-message">
          {message}
        </p>
      </div>
    </Modal>
  );
}

/** The reality check: shown as it comes due; only acknowledging it lets play continue, and
 * stopping there closes the open micro sessions, their money back to the balance. */
function RealityCheckDialog({ check, onDone }: { check: RealityCheck; onDone: () => void }) {
  const client = useClient();
  const [, acknowledge] = useMutation(AcknowledgeRealityCheckMutation);
  const [, closeSession] = useMutation(CloseMicroSessionMutation);
  const [stopping, setStopping] = useState(false);
  const minutes = Math.floor(check.timePlayedSeconds / 60);
  const seconds = check.timePlayedSeconds % 60;
  const confirm = async () => {
    await acknowledge({});
    onDone();
  };
  const stop = async () => {
    setStopping(true);
    await acknowledge({});
    const mine = await client.query(MyMicroSessionsQuery, {}, { requestPolicy: 'network-only' }).toPromise();
    const open = mine.data?.myMicroSessions.filter((session) => session.status === 'OPEN') ?? [];
    await Promise.all(open.map((session) => closeSession({ sessionId: session.id })));
    notifyTradingActivity();
    onDone();
  };
  return (
    <Modal title="Reality check" onClose={() => void confirm()} testId="reality-check">
      <p>
        You have played for{' '}
        <strong className="num">
          {minutes} min {seconds} s
        </strong>
        . Net result since the last check:{' '}
        <strong className="num" data-testid="reality-check-net">
          {formatFixed(check.netResult, 2)} USDT
        </strong>
        .
      </p>
      {check.reason === 'loss_velocity' ? <p>Your losses are coming fast: play is slowed for a while.</p> : null}
      <div className="form-actions">
        <button type="button" className="btn btn-primary" data-testid="reality-check-ack" onClick={() => void confirm()}>
          I have seen this, continue
        </button>
        <button type="button" className="btn" data-testid="reality-check-stop" disabled={stopping} onClick={() => void stop()}>
          Stop playing and close my micro sessions
        </button>
      </div>
    </Modal>
  );
}

/** The toolbar button (always one click away) and the reality check dialog. */
export function ResponsibleGamingControls() {
  const accountId = useSession()?.accountId ?? null;
  const [open, setOpen] = useState(false);
  const [check, setCheck] = useState<RealityCheck | null>(null);
  const onCheck = useCallback((data: { realityCheck: RealityCheck }) => setCheck(data.realityCheck), []);
  useSubscriptionEvents(RealityCheckSubscription, {}, `reality:${accountId ?? ''}`, onCheck, accountId !== null);
  if (accountId === null) return null;
  return (
    <>
      <button type="button" className="btn" data-testid="rg-open" onClick={() => setOpen(true)}>
        Responsible gaming
      </button>
      {open ? <ResponsibleGamingPanel onClose={() => setOpen(false)} /> : null}
      {check ? <RealityCheckDialog check={check} onDone={() => setCheck(null)} /> : null}
    </>
  );
}
