import { useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { signOut } from '../../auth/session';
import { ActivityQuery, LogoutEverywhereMutation, SessionsQuery } from '../../graphql/accountOperations';
import { describeError } from '../../graphql/errors';
import { ErrorMessage } from '../ErrorMessage';
import { ScrollRegion } from '../ScrollRegion';
import { DateTimeText } from '../ServerTime';
import { Section } from './shared';

export function SessionsSection() {
  const [result] = useQuery({ query: SessionsQuery, requestPolicy: 'network-only' });
  const [{ fetching }, logoutEverywhere] = useMutation(LogoutEverywhereMutation);
  const [error, setError] = useState<string | null>(null);
  const sessions = result.data?.sessions;

  const everywhere = async () => {
    const response = await logoutEverywhere({});
    if (response.error) {
      setError(describeError(response.error));
      return;
    }
    signOut(); // this device's tokens were revoked with the others
  };

  return (
    <Section
      id="sessions"
      title="Sessions"
      aside={
        <button type="button" className="btn btn-small btn-danger" onClick={() => void everywhere()} disabled={fetching}>
          Log out everywhere
        </button>
      }
    >
      {error ? (
        <p className="error-message" role="alert">
          {error}
        </p>
      ) : null}
      {result.error ? <ErrorMessage error={result.error} context="Sessions" /> : null}
      {sessions === undefined ? (
        result.error ? null : <p className="muted">Loading sessions…</p>
      ) : (
        <ScrollRegion label="Sessions table">
          <table className="data-table compact">
            <thead>
              <tr>
                <th scope="col">Device</th>
                <th scope="col">IP</th>
                <th scope="col">Signed in</th>
                <th scope="col">Last used</th>
              </tr>
            </thead>
            <tbody>
              {sessions.map((session) => (
                <tr key={session.id}>
                  <th scope="row">
                    <span className="user-agent" title={session.device}>
                      {session.device || 'Unknown device'}
                    </span>{' '}
                    {session.current ? <span className="badge badge-current">this device</span> : null}
                  </th>
                  <td className="mono">{session.ip}</td>
                  <td>
                    <DateTimeText iso={session.createdAt} />
                  </td>
                  <td>
                    <DateTimeText iso={session.lastUsedAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollRegion>
      )}
    </Section>
  );
}

export function ActivitySection() {
  const [result, refetch] = useQuery({ query: ActivityQuery, requestPolicy: 'network-only' });
  const entries = result.data?.activity;
  return (
    <Section
      id="activity"
      title="Activity log"
      aside={
        <button type="button" className="btn btn-small" onClick={() => refetch({ requestPolicy: 'network-only' })}>
          Refresh
        </button>
      }
    >
      {result.error ? <ErrorMessage error={result.error} context="Activity" /> : null}
      {entries === undefined ? (
        result.error ? null : <p className="muted">Loading activity…</p>
      ) : entries.length === 0 ? (
        <p className="muted">Nothing yet.</p>
      ) : (
        <ScrollRegion label="Activity log table">
          <table className="data-table compact" data-testid="activity-table">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Event</th>
                <th scope="col">IP</th>
                <th scope="col">Browser or client</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((entry, index) => (
                <tr key={`${entry.at}-${entry.kind}-${index}`}>
                  <td>
                    <DateTimeText iso={entry.at} />
                  </td>
                  <th scope="row">
                    {entry.kind}
                    {entry.detail ? <div className="muted small">{entry.detail}</div> : null}
                  </th>
                  <td className="mono">{entry.ip}</td>
                  <td className="small user-agent" title={entry.userAgent}>
                    {entry.userAgent || '—'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollRegion>
      )}
    </Section>
  );
}
