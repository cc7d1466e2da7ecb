import { useState } from 'react';
import { useQuery } from 'urql';
import { MeQuery } from '../../graphql/accountOperations';
import { CopyButton } from '../admin/CopyButton';
import { ErrorMessage } from '../ErrorMessage';
import { Modal } from '../Modal';
import { referralLink } from './referralLink';

/** "Refer a friend": opens the referral modal (seed 004 §9, referrals). */
export function ReferralButton() {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" className="btn btn-small" data-testid="referral-open" onClick={() => setOpen(true)}>
        Refer a friend
      </button>
      {open ? <ReferralModal onClose={() => setOpen(false)} /> : null}
    </>
  );
}

export function ReferralModal({ onClose }: { onClose: () => void }) {
  const [{ data, error, fetching }] = useQuery({ query: MeQuery });
  const code = data?.me?.referralCode;
  const link = code ? referralLink(code) : null;
  const shareText = 'Trade perpetuals in the dark pool on GoDark';

  return (
    <Modal title="Refer a friend" onClose={onClose} testId="referral-modal">
      {error ? <ErrorMessage error={error} context="Referral code" /> : null}
      {fetching && !code ? <p className="muted">Loading your code…</p> : null}
      {code && link ? (
        <>
          <p>Share your link: whoever opens an account with it is recorded as your referral.</p>
          <dl className="facts">
            <dt>Your code</dt>
            <dd>
              <code data-testid="referral-code">{code}</code> <CopyButton text={code} label="Copy code" />
            </dd>
            <dt>Your link</dt>
            <dd>
              <code className="break" data-testid="referral-link">
                {link}
              </code>{' '}
              <CopyButton text={link} label="Copy link" />
            </dd>
          </dl>
          <p className="share-links">
            Share on{' '}
            <a
              href={`https://twitter.com/intent/tweet?text=${encodeURIComponent(shareText)}&url=${encodeURIComponent(link)}`}
              target="_blank"
              rel="noopener noreferrer"
            >
              X
            </a>{' '}
            ·{' '}
            <a
              href={`https://t.me/share/url?url=${encodeURIComponent(link)}&text=${encodeURIComponent(shareText)}`}
              target="_blank"
              rel="noopener noreferrer"
            >
              Telegram
            </a>{' '}
            ·{' '}
            <a href={`mailto:?subject=${encodeURIComponent(shareText)}&body=${encodeURIComponent(link)}`}>Email</a>
          </p>
          <p className="muted small">Sign-ups, referred volume and rewards will show here once the referral programme reports them.</p>
        </>
      ) : null}
      <div className="form-actions">
        <button type="button" className="btn" onClick={onClose}>
          Close
        </button>
      </div>
    </Modal>
  );
}
