import { useState, type FormEvent } from 'react';
import { useMutation } from 'urql';
import {
  CancelAccountDeletionMutation,
  ChangePasswordMutation,
  DeleteAccountMutation,
  type Account,
} from '../../graphql/accountOperations';
import { isDemoEmail } from '../../auth/session';
import { Field, PasswordPolicy, meetsPasswordPolicy } from '../auth/fields';
import { DateTimeText } from '../ServerTime';
import { ResultMessage } from '../trading/ResultMessage';
import type { ActionResult } from '../trading/results';
import { Section, outcomeResult } from './shared';

/** Seed 004: a requested deletion erases personal data after a 30-day grace period. */
const DELETION_GRACE_DAYS = 30;

function ChangePassword() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [result, setResult] = useState<ActionResult | null>(null);
  const [{ fetching }, change] = useMutation(ChangePasswordMutation);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!meetsPasswordPolicy(next)) {
      setResult({ tone: 'error', text: 'The new password does not meet the policy yet.' });
      return;
    }
    const response = await change({ currentPassword: current, newPassword: next });
    const outcome = response.data?.changePassword;
    setResult(outcomeResult(outcome, response.error, 'Accepted', 'Password changed. Other devices are signed out.'));
    if (outcome?.__typename === 'Accepted') {
      setCurrent('');
      setNext('');
    }
  };

  return (
    <form className="form" onSubmit={(event) => void submit(event)} noValidate aria-label="Change password">
      <h3>Change password</h3>
      <Field
        label="Current password"
        type="password"
        autoComplete="current-password"
        value={current}
        onChange={(event) => setCurrent(event.target.value)}
      />
      <Field
        label="New password"
        type="password"
        autoComplete="new-password"
        value={next}
        onChange={(event) => setNext(event.target.value)}
        hint={<PasswordPolicy password={next} />}
      />
      <div className="form-actions">
        <button type="submit" className="btn" disabled={fetching || current === '' || next === ''}>
          Change password
        </button>
      </div>
      <ResultMessage result={result} />
    </form>
  );
}

function DeleteAccount({ account, onChange }: { account: Account; onChange: () => void }) {
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [result, setResult] = useState<ActionResult | null>(null);
  const [{ fetching: deleting }, remove] = useMutation(DeleteAccountMutation);
  const [{ fetching: cancelling }, cancel] = useMutation(CancelAccountDeletionMutation);
  const pending = account.status === 'DELETION_PENDING';

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const response = await remove({
      password,
      twoFactorCode: account.twoFactorEnabled ? code.trim() : null,
    });
    const outcome = response.data?.deleteAccount;
    setResult(outcomeResult(outcome, response.error, 'DeletionScheduled', 'Deletion scheduled.'));
    if (outcome?.__typename === 'DeletionScheduled') {
      setPassword('');
      setCode('');
      onChange();
    }
  };

  const undo = async () => {
    const response = await cancel({});
    const outcome = response.data?.cancelAccountDeletion;
    setResult(outcomeResult(outcome, response.error, 'Accepted', 'Deletion cancelled: your account stays.'));
    if (outcome?.__typename === 'Accepted') onChange();
  };

  if (pending) {
    return (
      <div className="danger-zone">
        <h3>Delete account</h3>
        <p data-testid="deletion-pending">
          Deletion is scheduled: your personal data is erased after <DateTimeText iso={account.eraseAfter} />.
          Until then you can change your mind.
        </p>
        <div className="form-actions">
          <button type="button" className="btn" onClick={() => void undo()} disabled={cancelling}>
            Cancel deletion
          </button>
        </div>
        <ResultMessage result={result} />
      </div>
    );
  }

  return (
    <form className="form danger-zone" onSubmit={(event) => void submit(event)} noValidate aria-label="Delete account">
      <h3>Delete account</h3>
      <p className="muted">
        Your personal data is erased {DELETION_GRACE_DAYS} days after you ask; log in meanwhile to cancel.
      </p>
      <Field
        label="Password"
        type="password"
        autoComplete="current-password"
        value={password}
        onChange={(event) => setPassword(event.target.value)}
      />
      {account.twoFactorEnabled ? (
        <Field
          label="Two-factor code"
          type="text"
          inputMode="numeric"
          autoComplete="one-time-code"
          value={code}
          onChange={(event) => setCode(event.target.value)}
        />
      ) : null}
      <div className="form-actions">
        <button type="submit" className="btn btn-danger" disabled={deleting || password === ''}>
          Delete my account
        </button>
      </div>
      <ResultMessage result={result} />
    </form>
  );
}

export function AccountSection({ account, onChange }: { account: Account; onChange: () => void }) {
  const demo = isDemoEmail(account.email);
  return (
    <Section id="account" title="Account">
      <dl className="facts">
        <div>
          <dt>Email</dt>
          <dd data-testid="account-email">{demo ? 'Demo account' : account.email}</dd>
        </div>
        <div>
          <dt>Verified</dt>
          <dd>{account.emailVerified ? 'Yes' : 'No'}</dd>
        </div>
        <div>
          <dt>Tier</dt>
          <dd>{account.tier}</dd>
        </div>
        <div>
          <dt>KYC tier</dt>
          <dd>{account.kycTier}</dd>
        </div>
        <div>
          <dt>Referral code</dt>
          <dd className="mono">{account.referralCode}</dd>
        </div>
        <div>
          <dt>Opened</dt>
          <dd>
            <DateTimeText iso={account.createdAt} />
          </dd>
        </div>
      </dl>
      {demo ? (
        <p className="muted small">
          A demo account has no password of its own, so password changes and deletion do not apply to it.
        </p>
      ) : (
        <div className="admin-columns">
          <ChangePassword />
          <DeleteAccount account={account} onChange={onChange} />
        </div>
      )}
    </Section>
  );
}
