import { useEffect, useRef } from 'react';
import { useQuery } from 'urql';
import { useConnectionStatus, useHeartbeat } from '../graphql/hooks';
import { ServerInfoQuery } from '../graphql/operations';
import type { ConnectionStatus } from '../graphql/client';
import { describeError } from '../graphql/errors';
import { ServerTime } from './ServerTime';

const STATUS_LABEL: Record<ConnectionStatus, string> = {
  live: 'live',
  reconnecting: 'reconnecting',
  connecting: 'connecting',
};

export function StatusBar() {
  const connection = useConnectionStatus();
  const { heartbeat, error: heartbeatError } = useHeartbeat();
  const [serverInfoResult, refetchServerInfo] = useQuery({ query: ServerInfoQuery });
  const serverInfo = serverInfoResult.data?.serverInfo;

  // Re-read server info whenever the live connection comes back (the server may have restarted).
  const previous = useRef<ConnectionStatus>(connection);
  useEffect(() => {
    if (connection === 'live' && previous.current !== 'live') {
      refetchServerInfo({ requestPolicy: 'network-only' });
    }
    previous.current = connection;
  }, [connection, refetchServerInfo]);

  const error = serverInfoResult.error ?? heartbeatError;

  return (
    <footer className="statusbar" aria-label="Server status">
      <dl className="status-items">
        <div className="status-item">
          <dt>Server</dt>
          <dd>
            {serverInfo ? (
              <>
                <span className="mono" data-testid="server-version">
                  {serverInfo.version}
                </span>
                <span
                  className={`badge badge-${serverInfo.mode.toLowerCase()}`}
                  data-testid="server-mode"
                >
                  {serverInfo.mode}
                </span>
              </>
            ) : (
              <span className="muted">{serverInfoResult.fetching ? 'loading…' : '—'}</span>
            )}
          </dd>
        </div>
        <div className="status-item">
          <dt>Feed</dt>
          <dd>
            <span className={`conn conn-${connection}`} role="status">
              <span className="conn-dot" aria-hidden="true" />
              <span data-testid="connection-status">{STATUS_LABEL[connection]}</span>
            </span>
          </dd>
        </div>
        <div className="status-item">
          <dt>Heartbeat</dt>
          <dd className="mono">
            {heartbeat ? (
              <span data-testid="heartbeat-seq">{heartbeat.sequence}</span>
            ) : (
              <span className="muted">—</span>
            )}
          </dd>
        </div>
        <div className="status-item">
          <dt>Server time</dt>
          <dd className="mono">
            {heartbeat ? (
              <ServerTime iso={heartbeat.serverTime} testId="heartbeat-time" />
            ) : (
              <span className="muted">—</span>
            )}
          </dd>
        </div>
      </dl>
      {error ? <p className="status-error">{describeError(error)}</p> : null}
    </footer>
  );
}
