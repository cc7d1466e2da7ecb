import { useEffect, useId, useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import {
  AmlFlagsQuery,
  ApproveProposalMutation,
  CancelProposalMutation,
  EmergencyPauseQuery,
  ExecuteProposalMutation,
  MailOutboxQuery,
  ProposalsQuery,
  ProposeOperationMutation,
  ROLES,
  ResolveAmlFlagMutation,
  SetAccountRolesMutation,
  SetAccountTiersMutation,
  SetEmergencyPauseMutation,
  type CriticalOperation,
  type KycTier,
  type Proposal,
  type RateTier,
  type Role,
} from '../../graphql/operator';
import { Section, outcomeResult } from '../admin/shared';
import { ErrorMessage } from '../ErrorMessage';
import { Modal } from '../Modal';
import { ServerTime } from '../ServerTime';
import { ResultMessage } from '../trading/ResultMessage';
import type { ActionResult } from '../trading/results';

const PAUSE_LEVELS = [
  { level: 0, label: '0 · running (lift the pause)' },
  { level: 1, label: '1 · no new orders' },
  { level: 2, label: '2 · all trading stopped' },
  { level: 3, label: '3 · everything but withdrawals' },
  { level: 4, label: '4 · everything' },
];

/** Parameters each critical operation takes (engine/trading/operations.py). */
const OPERATION_FIELDS: Record<CriticalOperation, ReadonlyArray<{ name: string; hint: string; required?: boolean }>> = {
  CHANGE_FEES: [
    { name: 'symbol', hint: 'e.g. BTC-USDT-PERP', required: true },
    { name: 'maker_fee_bps', hint: 'basis points; negative is a rebate' },
    { name: 'taker_fee_bps', hint: 'basis points' },
  ],
  CHANGE_RISK_PARAMETERS: [
    { name: 'symbol', hint: 'e.g. BTC-USDT-PERP', required: true },
    { name: 'max_leverage', hint: '1–1000' },
    { name: 'tick_size', hint: 'price units (1e-10 USDT)' },
    { name: 'step_size', hint: 'size units (1e-8 base)' },
    { name: 'min_order_size', hint: 'size units' },
    { name: 'max_order_size', hint: 'size units' },
    { name: 'is_active', hint: 'true or false' },
  ],
  WITHDRAW_INSURANCE_FUND: [
    { name: 'amount', hint: 'USDT, e.g. 1500.25', required: true },
    { name: 'reference', hint: 'a unique reference (idempotency key)', required: true },
  ],
  ADD_MARKET: [
    { name: 'symbol', hint: 'e.g. DOGE-USDT-PERP', required: true },
    { name: 'base_asset', hint: 'e.g. DOGE', required: true },
    { name: 'tick_size', hint: 'price units (1e-10 USDT)', required: true },
    { name: 'step_size', hint: 'size units (1e-8 base)', required: true },
    { name: 'min_order_size', hint: 'size units', required: true },
    { name: 'max_order_size', hint: 'size units', required: true },
    { name: 'max_leverage', hint: '1–1000' },
    { name: 'maker_fee_bps', hint: 'basis points' },
    { name: 'taker_fee_bps', hint: 'basis points' },
  ],
};

function useNow(intervalMs = 1_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

function countdown(untilIso: string | null, now: number): string {
  if (!untilIso) return '—';
  const seconds = Math.max(0, Math.round((Date.parse(untilIso) - now) / 1000));
  if (seconds === 0) return 'executable now';
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  return `in ${hours > 0 ? `${hours} h ` : ''}${minutes} min ${seconds % 60} s`;
}

/** The operators' sections of the Admin page; shown only to ADMIN or EMERGENCY accounts. */
export function OperatorPanel({ roles }: { roles: readonly string[] }) {
  const admin = roles.includes('ADMIN');
  const emergency = roles.includes('EMERGENCY');
  if (!admin && !emergency) return null;
  return (
    <div className="operator-panel" data-testid="operator-panel">
      <h2 className="section-title">Operator</h2>
      <div className="admin-grid">
        {emergency ? <EmergencyPauseSection /> : null}
        {admin ? (
          <>
            <ApprovalsSection />
            <ProposeSection />
            <AmlFlagsSection />
            <AccountControlsSection />
            <OutboxSection />
          </>
        ) : null}
      </div>
    </div>
  );
}

function ApprovalsSection() {
  const [{ data, error }, refetch] = useQuery({ query: ProposalsQuery, requestPolicy: 'network-only' });
  const [result, setResult] = useState<ActionResult | null>(null);
  const [, approve] = useMutation(ApproveProposalMutation);
  const [, execute] = useMutation(ExecuteProposalMutation);
  const [, cancel] = useMutation(CancelProposalMutation);
  const now = useNow();
  const reload = () => refetch({ requestPolicy: 'network-only' });

  const act = async (verb: 'approve' | 'execute' | 'cancel', proposal: Proposal) => {
    const response =
      verb === 'approve'
        ? await approve({ id: proposal.id })
        : verb === 'execute'
          ? await execute({ id: proposal.id })
          : await cancel({ id: proposal.id });
    const data = response.data as Record<string, { __typename: string } | undefined> | undefined;
    const outcome = data ? Object.values(data)[0] : undefined;
    setResult(outcomeResult(outcome, response.error, 'Proposal', `Proposal ${proposal.id}: ${verb}d.`));
    reload();
  };

  const proposals = data?.proposals;
  return (
    <Section
      id="approvals"
      title="Approvals queue"
      aside={
        <button type="button" className="btn btn-small btn-ghost" onClick={reload}>
          Refresh
        </button>
      }
    >
      {error ? <ErrorMessage error={error} context="Proposals" /> : null}
      {proposals === undefined ? null : proposals.length === 0 ? (
        <p className="muted">No proposals.</p>
      ) : (
        <div className="table-scroll">
          <table className="data-table compact">
            <thead>
              <tr>
                <th scope="col">Operation</th>
                <th scope="col">Parameters</th>
                <th scope="col">Status</th>
                <th scope="col" className="num">Approvals</th>
                <th scope="col">Timelock</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {proposals.map((proposal) => {
                const open = proposal.status === 'PENDING' || proposal.status === 'APPROVED';
                return (
                  <tr key={proposal.id} data-testid={`proposal-${proposal.id}`}>
                    <th scope="row">
                      {proposal.operation}
                      <div className="muted small">
                        by {proposal.proposedBy} · <ServerTime iso={proposal.proposedAt} />
                      </div>
                    </th>
                    <td>
                      <code className="break">{JSON.stringify(proposal.parameters)}</code>
                    </td>
                    <td>{proposal.status}</td>
                    <td className="num">
                      {proposal.approvals.length} / {proposal.approvalsNeeded}
                    </td>
                    <td>{proposal.status === 'APPROVED' ? countdown(proposal.executableAt, now) : '—'}</td>
                    <td className="row-actions">
                      {proposal.status === 'PENDING' ? (
                        <button type="button" className="btn btn-small" onClick={() => void act('approve', proposal)}>
                          Approve
                        </button>
                      ) : null}
                      {proposal.status === 'APPROVED' ? (
                        <button
                          type="button"
                          className="btn btn-small btn-primary"
                          disabled={proposal.executableAt !== null && Date.parse(proposal.executableAt) > now}
                          onClick={() => void act('execute', proposal)}
                        >
                          Execute
                        </button>
                      ) : null}
                      {open ? (
                        <button type="button" className="btn btn-small btn-danger" onClick={() => void act('cancel', proposal)}>
                          Cancel
                        </button>
                      ) : null}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <ResultMessage result={result} testId="approvals-result" />
    </Section>
  );
}

function ProposeSection() {
  const id = useId();
  const [operation, setOperation] = useState<CriticalOperation>('CHANGE_FEES');
  const [values, setValues] = useState<Record<string, string>>({});
  const [result, setResult] = useState<ActionResult | null>(null);
  const [{ fetching }, propose] = useMutation(ProposeOperationMutation);
  const fields = OPERATION_FIELDS[operation];
  const missing = fields.filter((field) => field.required && !(values[field.name] ?? '').trim());

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (missing.length > 0) {
      setResult({ tone: 'error', text: `Fill in ${missing.map((field) => field.name).join(', ')}.` });
      return;
    }
    const parameters = Object.fromEntries(
      fields.map((field) => [field.name, (values[field.name] ?? '').trim()]).filter(([, value]) => value !== ''),
    );
    const response = await propose({ operation, parameters });
    setResult(
      outcomeResult(response.data?.proposeOperation, response.error, 'Proposal', `Proposed ${operation}; it now needs approvals.`),
    );
    if (response.data?.proposeOperation.__typename === 'Proposal') setValues({});
  };

  return (
    <Section id="propose" title="Propose a critical operation">
      <form className="form" onSubmit={(event) => void submit(event)} noValidate>
        <div className="field">
          <label htmlFor={`${id}-operation`}>Operation</label>
          <select
            id={`${id}-operation`}
            value={operation}
            onChange={(event) => {
              setOperation(event.target.value as CriticalOperation);
              setValues({});
            }}
          >
            {(Object.keys(OPERATION_FIELDS) as CriticalOperation[]).map((option) => (
              <option key={option} value={option}>
                {option}
              </option>
            ))}
          </select>
        </div>
        {fields.map((field) => (
          <div className="field" key={`${operation}-${field.name}`}>
            <label htmlFor={`${id}-${field.name}`}>
              {field.name}
              {field.required ? '' : ' (optional)'}
            </label>
            <input
              id={`${id}-${field.name}`}
              autoComplete="off"
              placeholder={field.hint}
              value={values[field.name] ?? ''}
              onChange={(event) => setValues({ ...values, [field.name]: event.target.value })}
            />
          </div>
        ))}
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={fetching}>
            Propose
          </button>
        </div>
        <ResultMessage result={result} testId="propose-result" />
      </form>
    </Section>
  );
}

function AmlFlagsSection() {
  const [{ data, error }, refetch] = useQuery({ query: AmlFlagsQuery, requestPolicy: 'network-only' });
  const [, resolve] = useMutation(ResolveAmlFlagMutation);
  const [result, setResult] = useState<ActionResult | null>(null);
  const flags = data?.amlFlags;

  const resolveFlag = async (flagId: string) => {
    const response = await resolve({ id: flagId });
    setResult(outcomeResult(response.data?.resolveAmlFlag, response.error, 'Accepted', `Flag ${flagId} resolved.`));
    refetch({ requestPolicy: 'network-only' });
  };

  return (
    <Section id="aml" title="AML flags">
      {error ? <ErrorMessage error={error} context="AML flags" /> : null}
      {flags === undefined ? null : flags.length === 0 ? (
        <p className="muted">No open flags.</p>
      ) : (
        <ul className="plain-list">
          {flags.map((flag) => (
            <li key={flag.id}>
              <strong>{flag.rule}</strong> · account <code>{flag.accountId}</code> · <ServerTime iso={flag.raisedAt} />
              <div className="small">{flag.detail}</div>
              <button type="button" className="btn btn-small" onClick={() => void resolveFlag(flag.id)}>
                Resolve
              </button>
            </li>
          ))}
        </ul>
      )}
      <ResultMessage result={result} />
    </Section>
  );
}

function AccountControlsSection() {
  const id = useId();
  const [accountId, setAccountId] = useState('');
  const [roles, setRoles] = useState<Role[]>(['USER']);
  const [tier, setTier] = useState<RateTier | ''>('');
  const [kycTier, setKycTier] = useState<KycTier | ''>('');
  const [result, setResult] = useState<ActionResult | null>(null);
  const [, setAccountRoles] = useMutation(SetAccountRolesMutation);
  const [, setAccountTiers] = useMutation(SetAccountTiersMutation);

  const saveRoles = async () => {
    const response = await setAccountRoles({ accountId: accountId.trim(), roles });
    setResult(outcomeResult(response.data?.setAccountRoles, response.error, 'Accepted', 'Roles changed; the account signs in again.'));
  };
  const saveTiers = async () => {
    const response = await setAccountTiers({ accountId: accountId.trim(), tier: tier || null, kycTier: kycTier || null });
    setResult(outcomeResult(response.data?.setAccountTiers, response.error, 'Accepted', 'Tiers changed; the account signs in again.'));
  };

  return (
    <Section id="account-controls" title="Account roles and tiers">
      <div className="form">
        <div className="field">
          <label htmlFor={`${id}-account`}>Account id</label>
          <input id={`${id}-account`} autoComplete="off" value={accountId} onChange={(e) => setAccountId(e.target.value)} />
        </div>
        <fieldset className="checkbox-group">
          <legend>Roles</legend>
          {ROLES.map((role) => (
            <label key={role} className="checkbox">
              <input
                type="checkbox"
                checked={roles.includes(role)}
                onChange={(e) => setRoles(e.target.checked ? [...roles, role] : roles.filter((r) => r !== role))}
              />
              {role}
            </label>
          ))}
        </fieldset>
        <div className="form-actions">
          <button type="button" className="btn" disabled={accountId.trim() === ''} onClick={() => void saveRoles()}>
            Set roles
          </button>
        </div>
        <div className="field">
          <label htmlFor={`${id}-tier`}>Rate-limit tier</label>
          <select id={`${id}-tier`} value={tier} onChange={(e) => setTier(e.target.value as RateTier | '')}>
            <option value="">unchanged</option>
            {(['FREE', 'BASIC', 'PRO', 'MARKET_MAKER'] as const).map((option) => (
              <option key={option}>{option}</option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-kyc`}>KYC tier</label>
          <select id={`${id}-kyc`} value={kycTier} onChange={(e) => setKycTier(e.target.value as KycTier | '')}>
            <option value="">unchanged</option>
            {(['NONE', 'BASIC', 'FULL'] as const).map((option) => (
              <option key={option}>{option}</option>
            ))}
          </select>
        </div>
        <div className="form-actions">
          <button
            type="button"
            className="btn"
            disabled={accountId.trim() === '' || (tier === '' && kycTier === '')}
            onClick={() => void saveTiers()}
          >
            Set tiers
          </button>
        </div>
        <ResultMessage result={result} />
      </div>
    </Section>
  );
}

function OutboxSection() {
  const [{ data, error }, refetch] = useQuery({ query: MailOutboxQuery, variables: { limit: 20 }, requestPolicy: 'network-only' });
  const mail = data?.mailOutbox;
  return (
    <Section
      id="outbox"
      title="Mail outbox"
      aside={
        <button type="button" className="btn btn-small btn-ghost" onClick={() => refetch({ requestPolicy: 'network-only' })}>
          Refresh
        </button>
      }
    >
      {error ? <ErrorMessage error={error} context="Outbox" /> : null}
      {mail === undefined ? null : mail.length === 0 ? (
        <p className="muted">No mail.</p>
      ) : (
        <ul className="mail-list">
          {mail.map((message) => (
            <li key={message.id} className="mail">
              <div className="mail-head">
                <strong>{message.subject}</strong> → {message.recipient} · <ServerTime iso={message.createdAt} />{' '}
                {message.sentAt ? '· sent' : '· queued'}
              </div>
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}

function EmergencyPauseSection() {
  const id = useId();
  const [{ data, error }, refetch] = useQuery({ query: EmergencyPauseQuery, requestPolicy: 'network-only' });
  const [level, setLevel] = useState(1);
  const [reason, setReason] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [result, setResult] = useState<ActionResult | null>(null);
  const [{ fetching }, setPause] = useMutation(SetEmergencyPauseMutation);
  const current = data?.emergencyPause;

  const apply = async () => {
    const response = await setPause({ level, reason: reason.trim() });
    setConfirming(false);
    setResult(outcomeResult(response.data?.setEmergencyPause, response.error, 'Accepted', `The venue is at pause level ${level}.`));
    refetch({ requestPolicy: 'network-only' });
  };

  return (
    <Section id="emergency" title="Emergency pause">
      {error ? <ErrorMessage error={error} context="Pause level" /> : null}
      <p data-testid="pause-level">
        Current level: <strong>{current ? current.level : '…'}</strong>
        {current?.until ? (
          <>
            {' '}
            (resumes <ServerTime iso={current.until} />)
          </>
        ) : null}
      </p>
      <form
        className="form"
        onSubmit={(event) => {
          event.preventDefault();
          if (reason.trim() !== '') setConfirming(true);
        }}
        noValidate
      >
        <div className="field">
          <label htmlFor={`${id}-level`}>Level</label>
          <select id={`${id}-level`} value={level} onChange={(e) => setLevel(Number(e.target.value))}>
            {PAUSE_LEVELS.map((option) => (
              <option key={option.level} value={option.level}>
                {option.label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-reason`}>Reason (recorded)</label>
          <input id={`${id}-reason`} value={reason} onChange={(e) => setReason(e.target.value)} />
        </div>
        <div className="form-actions">
          <button type="submit" className="btn btn-danger" disabled={reason.trim() === ''}>
            Set pause level…
          </button>
        </div>
      </form>
      <ResultMessage result={result} />
      {confirming ? (
        <Modal title={`Set the pause to level ${level}?`} onClose={() => setConfirming(false)}>
          <p>{PAUSE_LEVELS.find((option) => option.level === level)?.label}. This takes effect for every user at once.</p>
          <div className="form-actions">
            <button type="button" className="btn btn-ghost" onClick={() => setConfirming(false)}>
              Cancel
            </button>
            <button type="button" className="btn btn-danger" autoFocus disabled={fetching} onClick={() => void apply()}>
              Confirm level {level}
            </button>
          </div>
        </Modal>
      ) : null}
    </Section>
  );
}
