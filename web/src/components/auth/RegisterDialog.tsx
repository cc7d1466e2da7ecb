import { useState, type FormEvent } from 'react';
import { useMutation } from 'urql';
import { useAuth, refusalText } from '../../auth/AuthProvider';
import { RegisterMutation, ResendVerificationMutation } from '../../graphql/accountOperations';
import { describeError } from '../../graphql/errors';
import { TERMS_VERSION, useIsDemoServer } from '../../graphql/useServerInfo';
import { Modal } from '../Modal';
import { DemoMailbox } from './DemoMailbox';
import { Field, FormError, FormNotice, PasswordPolicy, meetsPasswordPolicy } from './fields';
import { referralFromUrl } from '../referral/referralLink';

/** Sign-up: email, password, the Terms, an optional referral code; then "check your inbox". */
export function RegisterDialog() {
  const { openDialog } = useAuth();
  const demo = useIsDemoServer();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [acceptedTerms, setAcceptedTerms] = useState(false);
  const [referralCode, setReferralCode] = useState(() => referralFromUrl() ?? '');
  const [error, setError] = useState<string | null>(null);
  const [sentTo, setSentTo] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [showMailbox, setShowMailbox] = useState(false);
  const [{ fetching }, register] = useMutation(RegisterMutation);
  const [{ fetching: resending }, resend] = useMutation(ResendVerificationMutation);

  const close = () => openDialog(null);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setError(null);
    if (!meetsPasswordPolicy(password)) {
      setError('The password does not meet the policy yet.');
      return;
    }
    if (!acceptedTerms) {
      setError('Accept the Terms of Service to open an account.');
      return;
    }
    const response = await register({
      input: {
        email: email.trim(),
        password,
        acceptTermsVersion: TERMS_VERSION,
        referralCode: referralCode.trim() === '' ? null : referralCode.trim(),
      },
    });
    const outcome = response.data?.register;
    if (!outcome) {
      setError(response.error ? describeError(response.error) : 'No answer from the server.');
    } else if (outcome.__typename === 'Accepted') {
      setSentTo(email.trim());
      setPassword('');
    } else {
      setError(refusalText(outcome as { code: string; message: string; __typename: string }));
    }
  };

  const resendMail = async () => {
    if (!sentTo) return;
    setNotice(null);
    const response = await resend({ email: sentTo });
    const outcome = response.data?.resendVerification;
    if (outcome?.__typename === 'Accepted') setNotice('Sent again.');
    else if (outcome && 'code' in outcome) setError(refusalText(outcome));
    else if (response.error) setError(describeError(response.error));
  };

  if (sentTo) {
    return (
      <Modal title="Check your inbox" onClose={close} testId="register-dialog">
        <p data-testid="register-done">
          We sent a link to <strong>{sentTo}</strong>. Follow it to confirm your email, then log in.
        </p>
        <FormError text={error} />
        <FormNotice text={notice} />
        <div className="form-actions">
          {demo ? (
            <button
              type="button"
              className="btn"
              aria-expanded={showMailbox}
              onClick={() => setShowMailbox((shown) => !shown)}
            >
              Open the demo mailbox
            </button>
          ) : null}
          <button type="button" className="btn btn-ghost" onClick={() => void resendMail()} disabled={resending}>
            Send the link again
          </button>
          <button type="button" className="btn btn-ghost" onClick={() => openDialog('login')}>
            Log in
          </button>
        </div>
        {demo ? (
          <p className="muted small">Demo mode: no real mail leaves the server; the demo mailbox shows it.</p>
        ) : null}
        {showMailbox ? <DemoMailbox email={sentTo} /> : null}
      </Modal>
    );
  }

  return (
    <Modal title="Create your account" onClose={close} testId="register-dialog">
      <form className="form" onSubmit={(event) => void submit(event)} noValidate>
        <Field
          label="Email"
          type="email"
          autoComplete="email"
          required
          value={email}
          onChange={(event) => setEmail(event.target.value)}
          autoFocus
        />
        <Field
          label="Password"
          type="password"
          autoComplete="new-password"
          required
          value={password}
          onChange={(event) => setPassword(event.target.value)}
          hint={<PasswordPolicy password={password} />}
        />
        <Field
          label="Referral code (optional)"
          type="text"
          autoComplete="off"
          value={referralCode}
          onChange={(event) => setReferralCode(event.target.value)}
        />
        <label className="checkbox">
          <input
            type="checkbox"
            checked={acceptedTerms}
            onChange={(event) => setAcceptedTerms(event.target.checked)}
            required
          />
          <span>
            I accept the Terms of Service (version {TERMS_VERSION}).
          </span>
        </label>
        <FormError text={error} />
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={fetching}>
            {fetching ? 'Creating…' : 'Create account'}
          </button>
          <button type="button" className="btn btn-ghost" onClick={() => openDialog('login')}>
            I have an account
          </button>
        </div>
      </form>
    </Modal>
  );
}
