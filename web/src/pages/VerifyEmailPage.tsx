import { useEffect, useRef, useState } from 'react';
import { useMutation } from 'urql';
import { refusalText, useAuth } from '../auth/AuthProvider';
import { VerifyEmailMutation } from '../graphql/accountOperations';
import { describeError } from '../graphql/errors';
import { PageHeading } from '../components/PageHeading';
import { hrefFor } from '../router';

type State = { kind: 'working' } | { kind: 'done'; text: string } | { kind: 'failed'; text: string };

/** The link in the verification mail: /verify-email?token=... */
export function VerifyEmailPage() {
  const { session, openDialog } = useAuth();
  const [state, setState] = useState<State>({ kind: 'working' });
  const [, verify] = useMutation(VerifyEmailMutation);
  const started = useRef(false);

  useEffect(() => {
    // A token is single use: verify once, even when StrictMode mounts twice.
    if (started.current) return;
    started.current = true;
    const token = new URLSearchParams(window.location.search).get('token');
    if (!token) {
      setState({ kind: 'failed', text: 'This link has no token. Open the link from the mail again.' });
      return;
    }
    void verify({ token }).then((response) => {
      const outcome = response.data?.verifyEmail;
      if (!outcome) {
        setState({ kind: 'failed', text: response.error ? describeError(response.error) : 'No answer from the server.' });
      } else if (outcome.__typename === 'Accepted') {
        setState({ kind: 'done', text: 'Your email is confirmed.' });
      } else {
        setState({ kind: 'failed', text: refusalText(outcome as { __typename: string; code: string; message: string }) });
      }
    });
  }, [verify]);

  return (
    <>
      <PageHeading title="Confirm your email" description="One click, and your account is ready." />
      <div className="card" data-testid="verify-email">
        {state.kind === 'working' ? <p role="status">Confirming…</p> : null}
        {state.kind === 'done' ? (
          <>
            <p role="status" className="form-notice" data-testid="verify-email-done">
              {state.text}
            </p>
            <div className="form-actions">
              {session ? null : (
                <button type="button" className="btn btn-primary" onClick={() => openDialog('login')}>
                  Log in now
                </button>
              )}
              <a className="btn btn-ghost" href={hrefFor('trade')}>
                Go to Trade
              </a>
            </div>
          </>
        ) : null}
        {state.kind === 'failed' ? (
          <p className="error-message" role="alert" data-testid="verify-email-failed">
            {state.text}
          </p>
        ) : null}
      </div>
    </>
  );
}
