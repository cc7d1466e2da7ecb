import { useState } from 'react';
import { useQuery } from 'urql';
import { MyReferralsQuery, type ReferralStats } from '../../graphql/referrals';
import { CopyButton } from '../admin/CopyButton';
import { ErrorMessage } from '../ErrorMessage';
import { Modal } from '../Modal';
import { formatFixed, formatQuantity } from '../trading/decimal';
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
  // Fresh figures each time the modal opens: a friend may have traded since.
  const [{ data, error, fetching }] = useQuery({ query: MyReferralsQuery, requestPolicy: 'cache-and-network' });
  const stats = data?.myReferrals;
  const code = stats?.code;
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
          {stats ? <ReferralFigures stats={stats} /> : null}
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

/** Sign-ups, what they traded and what it earned: counts and sums, never who the referees are. */
function ReferralFigures({ stats }: { stats: ReferralStats }) {
  return (
    <section aria-labelledby="referral-figures-title" data-testid="referral-figures">
      <h3 id="referral-figures-title">Your referrals</h3>
      <dl className="facts">
        <dt>Sign-ups</dt>
        <dd data-testid="referral-sign-ups">{stats.signUps}</dd>
        <dt>Traded</dt>
        <dd data-testid="referral-active">{stats.activeReferees}</dd>
        <dt>Their volume</dt>
        <dd data-testid="referral-volume">
          {formatFixed(stats.refereeVolume, 2)} USDT <span className="muted small">({stats.refereeTrades} trades)</span>
        </dd>
        <dt>Rewards paid</dt>
        <dd data-testid="referral-rewards-paid">{formatQuantity(stats.rewardsPaid)} USDT</dd>
        <dt>Rewards pending</dt>
        <dd data-testid="referral-rewards-pending">{formatQuantity(stats.rewardsPending)} USDT</dd>
      </dl>
      <p className="muted small">
        You earn {formatQuantity(stats.feeSharePercent)}% of the trading fees each friend pays in their first{' '}
        {stats.rewardPeriodDays} days. Each UTC day's rewards are paid to your balance shortly after the day ends. Bets on
        flash and micro markets earn no rewards.
      </p>
    </section>
  );
}
