import { useId, useState, type FormEvent } from 'react';
import { useMutation, type CombinedError } from 'urql';
import { useSession } from '../../auth/AuthProvider';
import { privatePollingClient } from '../../graphql/client';
import { describeError } from '../../graphql/errors';
import { useIsDemoServer } from '../../graphql/useServerInfo';
import { SAFETY_NET_MS, usePolledQuery } from '../markets/hooks';
import { useTradingActivity } from '../trading/hooks';
import { AuthorizeVaultMutation, ChainFaucetMutation, RevokeVaultMutation, WalletQuery } from './operations';

const USDT_AMOUNT = /^\d+(\.\d{1,6})?$/;
const NO_VARIABLES = () => ({});

/** The account's Solana wallet and vault: on-chain balance, authorise, demo faucet, revoke.
 * Withdrawals go through the Balance card (vault -> wallet, no signature). */
export function FundingPanel() {
  const id = useId();
  const demo = useIsDemoServer();
  const accountId = useSession()?.accountId ?? '';
  // Loaded once (keeping the last figures through a refused or rate-limited refresh),
  // refreshed at once after an order, which can pull its margin from the vault, and a
  // withdrawal, which pays into the wallet; the 30 s timer is only a safety net (issue #8).
  const { data, refresh } = usePolledQuery(WalletQuery, NO_VARIABLES, SAFETY_NET_MS, `wallet:${accountId}`, {
    client: privatePollingClient,
  });
  useTradingActivity(refresh);
  const [amount, setAmount] = useState('');
  const [message, setMessage] = useState<{ tone: 'success' | 'error'; text: string } | null>(null);
  const [, authorize] = useMutation(AuthorizeVaultMutation);
  const [, faucet] = useMutation(ChainFaucetMutation);
  const [, revoke] = useMutation(RevokeVaultMutation);
  const valid = USDT_AMOUNT.test(amount.trim()) && Number(amount) > 0;

  const done = (
    outcome: { __typename: string; code?: string; message?: string } | undefined,
    ok: string,
    error?: CombinedError,
  ) => {
    // A refusal before the resolver (e.g. HTTP 429 RATE_LIMITED) comes as a transport error.
    if (!outcome) setMessage({ tone: 'error', text: error ? describeError(error) : 'No answer from the server.' });
    else if ('code' in outcome && outcome.code) setMessage({ tone: 'error', text: outcome.message ?? outcome.code });
    else setMessage({ tone: 'success', text: ok });
    refresh();
  };

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!valid) return;
    const response = await authorize({ amount: amount.trim() });
    done(response.data?.authorizeVault, `Authorised ${amount.trim()} USDT to the vault.`, response.error);
  };

  const wallet = data?.wallet;
  const vault = data?.vault;
  return (
    <section className="card" aria-labelledby={`${id}-title`} data-testid="funding-panel">
      <div className="card-header">
        <h2 id={`${id}-title`}>Wallet &amp; vault</h2>
        <span className="muted">{wallet?.kind === 'LINKED' ? 'Linked wallet' : 'Venue-held wallet'}</span>
      </div>
      {wallet ? (
        <dl className="stats-list">
          <dt>Address</dt>
          <dd><code title={wallet.address}>{wallet.address.slice(0, 8)}…{wallet.address.slice(-6)}</code></dd>
          <dt>On-chain USDT</dt>
          <dd data-testid="wallet-balance">{wallet.balance}</dd>
          <dt>Authorised, unused</dt>
          <dd>{wallet.delegated}</dd>
          <dt>Deposited / withdrawn</dt>
          <dd>{vault ? `${vault.used} / ${vault.withdrawn}` : '—'}</dd>
        </dl>
      ) : null}
      <form onSubmit={(event) => void submit(event)} className="inline-form">
        <label>
          Amount (USDT)
          <input value={amount} onChange={(event) => setAmount(event.target.value)} inputMode="decimal" />
        </label>
        <button type="submit" disabled={!valid}>Authorise</button>
        {demo ? (
          <button
            type="button"
            className="button-secondary"
            disabled={!valid}
            onClick={async () => {
              const response = await faucet({ amount: amount.trim() });
              done(response.data?.chainFaucet, `Minted ${amount.trim()} test USDT to your wallet.`, response.error);
            }}
          >
            Faucet to wallet
          </button>
        ) : null}
        <button
          type="button"
          className="button-secondary"
          onClick={async () => {
            const response = await revoke({});
            done(response.data?.revokeVault, 'Everything withdrawn; approval revoked.', response.error);
          }}
        >
          Revoke
        </button>
      </form>
      <p className="muted">
        Orders that need more collateral than your balance pull the shortfall from your wallet, plus a small allowance
        for the price moving while the order is placed, within what you authorised. What the order does not use stays
        in your balance, withdrawable.
      </p>
      {message ? <p className={message.tone === 'error' ? 'negative' : 'positive'} role="status">{message.text}</p> : null}
    </section>
  );
}
