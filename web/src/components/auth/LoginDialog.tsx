import { useState, type FormEvent } from 'react';
import { useMutation } from 'urql';
import { refusalText, useAuth } from '../../auth/AuthProvider';
import { LoginMutation, ResendVerificationMutation } from '../../graphql/accountOperations';
import { describeError } from '../../graphql/errors';
import { useIsDemoServer } from '../../graphql/useServerInfo';
import { Modal } from '../Modal';
import { DemoMailbox } from './DemoMailbox';
import { Field, FormError, FormNotice } from './fields';

/** Log in with email and password; a second step asks for the 2FA (or a backup) code. */
export function LoginDialog() {
  const { openDialog, signIn } = useAuth();
  const demo = useIsDemoServer();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [needsCode, setNeedsCode] = useState(false);
  const [error, setError] = useState<{ text: string; typename: string } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [showMailbox, setShowMailbox] = useState(false);
  const [{ fetching }, login] = useMutation(LoginMutation);
  const [, resend] = useMutation(ResendVerificationMutation);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setError(null);
    setNotice(null);
    const response = await login({
      input: { email: email.trim(), password, twoFactorCode: needsCode ? code.trim() : null },
    });
    const outcome = response.data?.login;
    if (!outcome) {
      setError({ text: response.error ? describeError(response.error) : 'No answer from the server.', typename: '' });
      return;
    }
    if (outcome.__typename === 'SignedIn' && 'accessToken' in outcome) {
      signIn(outcome);
      return;
    }
    const refusal = outcome as { __typename: string; code: string; message: string };
    if (refusal.__typename === 'TwoFactorRequiredError' && !needsCode) {
      setNeedsCode(true);
      return;
    }
    setError({ text: refusalText(refusal), typename: refusal.__typename });
  };

  const resendMail = async () => {
    const response = await resend({ email: email.trim() });
    if (response.data?.resendVerification.__typename === 'Accepted') setNotice('We sent the link again.');
  };

  const unverified = error?.typename === 'EmailNotVerifiedError';

  return (
    <Modal title={needsCode ? 'Two-factor code' : 'Log in'} onClose={() => openDialog(null)} testId="login-dialog">
      <form className="form" onSubmit={(event) => void submit(event)} noValidate>
        {needsCode ? (
          <Field
            key="code"
            label="Code from your authenticator app, or a backup code"
            type="text"
            inputMode="numeric"
            autoComplete="one-time-code"
            required
            value={code}
            onChange={(event) => setCode(event.target.value)}
            autoFocus
          />
        ) : (
          <>
            <Field
              label="Email"
              type="email"
              autoComplete="username"
              required
              value={email}
              onChange={(event) => setEmail(event.target.value)}
              autoFocus
            />
            <Field
              label="Password"
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(event) => setPassword(event.target.value)}
            />
          </>
        )}
        <FormError text={error?.text ?? null} />
        <FormNotice text={notice} />
        {unverified ? (
          <div className="form-actions">
            <button type="button" className="btn btn-small" onClick={() => void resendMail()}>
              Send the link again
            </button>
            {demo ? (
              <button
                type="button"
                className="btn btn-small"
                aria-expanded={showMailbox}
                onClick={() => setShowMailbox((shown) => !shown)}
              >
                Open the demo mailbox
              </button>
            ) : null}
          </div>
        ) : null}
        {unverified && showMailbox ? <DemoMailbox email={email.trim()} /> : null}
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={fetching}>
            {fetching ? 'Logging in…' : needsCode ? 'Verify' : 'Log in'}
          </button>
          {needsCode ? (
            <button
              type="button"
              className="btn btn-ghost"
              onClick={() => {
                setNeedsCode(false);
                setCode('');
                setError(null);
              }}
            >
              Back
            </button>
          ) : (
            <button type="button" className="btn btn-ghost" onClick={() => openDialog('register')}>
              Create an account
            </button>
          )}
        </div>
      </form>
    </Modal>
  );
}
