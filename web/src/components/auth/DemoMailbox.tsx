import { Fragment } from 'react';
import { useQuery } from 'urql';
import { DemoMailboxQuery } from '../../graphql/accountOperations';
import { ErrorMessage } from '../ErrorMessage';
import { ServerTime } from '../ServerTime';

const URL_PATTERN = /(https?:\/\/[^\s<>"]+)/g;
/** Pages of this app that mails link to (the hash-free client routes). */
const APP_PATHS = ['/verify-email', '/reset-password', '/forgot-password'];

/**
 * Links in a demo mail open in this app. The server writes its configured public
 * URL into the mail, which need not be the address this browser uses, so links
 * to the app's own pages are re-based onto the current origin.
 */
function linkTarget(raw: string): string {
  try {
    const url = new URL(raw);
    if (APP_PATHS.includes(url.pathname)) return `${window.location.origin}${url.pathname}${url.search}`;
    return url.toString();
  } catch {
    return raw;
  }
}

function MailBody({ body }: { body: string }) {
  const parts = body.split(URL_PATTERN);
  return (
    <p className="mail-body">
      {parts.map((part, index) =>
        index % 2 === 1 ? (
          <a key={index} href={linkTarget(part)} data-testid="mail-link">
            {linkTarget(part)}
          </a>
        ) : (
          <Fragment key={index}>{part}</Fragment>
        ),
      )}
    </p>
  );
}

/** Demo mode only: the mail the server "sent" to an address, newest first. */
export function DemoMailbox({ email }: { email: string }) {
  const [result, refetch] = useQuery({
    query: DemoMailboxQuery,
    variables: { email },
    requestPolicy: 'network-only',
  });
  const messages = result.data?.demoMailbox;

  return (
    <section className="mailbox" aria-label={`Demo mailbox of ${email}`} data-testid="demo-mailbox">
      <div className="card-header">
        <h3>Demo mailbox · {email}</h3>
        <button
          type="button"
          className="btn btn-small"
          onClick={() => refetch({ requestPolicy: 'network-only' })}
          disabled={result.fetching}
        >
          {result.fetching ? 'Checking…' : 'Check again'}
        </button>
      </div>
      {result.error ? <ErrorMessage error={result.error} context="Mailbox" /> : null}
      {messages === undefined ? (
        result.error ? null : <p className="muted">Opening the mailbox…</p>
      ) : messages.length === 0 ? (
        <p className="muted">No mail for this address yet.</p>
      ) : (
        <ul className="mail-list">
          {[...messages].sort((a, b) => b.createdAt.localeCompare(a.createdAt)).map((message) => (
            <li key={message.id} className="mail">
              <div className="mail-head">
                <strong>{message.subject}</strong>
                <span className="muted small">
                  <ServerTime iso={message.createdAt} />
                </span>
              </div>
              <MailBody body={message.body} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
