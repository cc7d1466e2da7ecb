import { useState } from 'react';
import { useClient } from 'urql';
import { ExportMyDataQuery } from '../../graphql/accountOperations';
import { describeError } from '../../graphql/errors';
import { Section } from './shared';

/** "Download my data": everything GoDark holds about the account, as one JSON file. */
export function DataExportSection() {
  const client = useClient();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const download = async () => {
    setBusy(true);
    setError(null);
    const result = await client.query(ExportMyDataQuery, {}, { requestPolicy: 'network-only' }).toPromise();
    setBusy(false);
    if (result.data === undefined) {
      setError(result.error ? describeError(result.error) : 'No answer from the server.');
      return;
    }
    const blob = new Blob([JSON.stringify(result.data.exportMyData, null, 2)], { type: 'application/json' });
    const url = URL.createObjectURL(blob);
    const link = document.createElement('a');
    link.href = url;
    link.download = `godark-my-data-${new Date().toISOString().slice(0, 10)}.json`;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1_000);
  };

  return (
    <Section id="data" title="Your data">
      <p className="muted">A copy of everything GoDark holds about you: account, activity, balances, orders.</p>
      {error ? (
        <p className="error-message" role="alert">
          {error}
        </p>
      ) : null}
      <div className="form-actions">
        <button type="button" className="btn" onClick={() => void download()} disabled={busy}>
          {busy ? 'Preparing…' : 'Download my data'}
        </button>
      </div>
    </Section>
  );
}
