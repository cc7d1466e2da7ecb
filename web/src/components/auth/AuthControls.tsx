import { useEffect, useState } from 'react';
import { useAuth } from '../../auth/AuthProvider';
import { useIsDemoServer } from '../../graphql/useServerInfo';
import { LoginDialog } from './LoginDialog';
import { RegisterDialog } from './RegisterDialog';
import { isRegisterLink } from '../referral/referralLink';

/** The top bar's right side: who is signed in and Log out, or the ways in. */
export function AuthControls() {
  const { session, logOut, tryDemo, dialog, openDialog } = useAuth();
  const demoServer = useIsDemoServer();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  // A shared referral link (/register?ref=CODE) opens the sign-up dialog, code filled in.
  useEffect(() => {
    if (isRegisterLink() && session === null) openDialog('register');
    // eslint-disable-next-line react-hooks/exhaustive-deps -- once, on arrival
  }, []);

  const startDemo = async () => {
    setBusy(true);
    setError(null);
    setError(await tryDemo());
    setBusy(false);
  };

  const leave = async () => {
    setBusy(true);
    await logOut();
    setBusy(false);
  };

  return (
    <div className="auth-controls">
      {session ? (
        <>
          <span className="signed-in-as" data-testid="signed-in-as" title={session.email}>
            {session.demo ? 'Demo account' : session.email}
          </span>
          <button type="button" className="btn btn-small" onClick={() => void leave()} disabled={busy}>
            Log out
          </button>
        </>
      ) : (
        <>
          {error ? (
            <span className="auth-error" role="alert">
              {error}
            </span>
          ) : null}
          {demoServer ? (
            <button
              type="button"
              className="btn btn-small btn-primary"
              onClick={() => void startDemo()}
              disabled={busy}
            >
              {busy ? 'Opening…' : 'Try the demo'}
            </button>
          ) : null}
          <button type="button" className="btn btn-small" onClick={() => openDialog('login')}>
            Log in
          </button>
          <button type="button" className="btn btn-small btn-ghost" onClick={() => openDialog('register')}>
            Register
          </button>
        </>
      )}
      {dialog === 'login' ? <LoginDialog /> : null}
      {dialog === 'register' ? <RegisterDialog /> : null}
    </div>
  );
}
