import { useState } from 'react';
import { useAuth } from '../../auth/AuthProvider';
import { useIsDemoServer } from '../../graphql/useServerInfo';

/** In place of a private panel while signed out: the ways to start trading. */
export function SignedOutNotice({
  title,
  purpose = 'trade',
  testId,
}: {
  title: string;
  /** What signing in is for: "Try the demo or log in to {purpose}." */
  purpose?: string;
  testId?: string;
}) {
  const { tryDemo, openDialog } = useAuth();
  const demoServer = useIsDemoServer();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const startDemo = async () => {
    setBusy(true);
    setError(await tryDemo());
    setBusy(false);
  };

  return (
    <section className="card signed-out" aria-label={title} data-testid={testId}>
      <div className="card-header">
        <h2>{title}</h2>
      </div>
      <p className="muted">{demoServer ? `Try the demo or log in to ${purpose}.` : `Log in to ${purpose}.`}</p>
      {error ? (
        <p className="error-message" role="alert">
          {error}
        </p>
      ) : null}
      <div className="form-actions">
        {demoServer ? (
          <button type="button" className="btn btn-small" onClick={() => void startDemo()} disabled={busy}>
            Start a demo account
          </button>
        ) : null}
        <button type="button" className="btn btn-small btn-ghost" onClick={() => openDialog('login')}>
          Log in to {purpose}
        </button>
      </div>
    </section>
  );
}
