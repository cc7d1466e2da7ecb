import { useId, useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { useIsDemoServer } from '../../graphql/useServerInfo';
import { AuthorizeVaultMutation, ChainFaucetMutation, RevokeVaultMutation, WalletQuery } from './operations';

const USDT_AMOUNT = /^\d+(\.\d{1,6})?$/;

/** The account's Solana wallet and vault: on-chain balance, authorise, demo faucet, revoke.
 * Withdrawals go through the Balance card (vault -> wallet, no signature). */
export function FundingPanel() {
  const id = useId();
  const demo = useIsDemoServer();
  const [{ data }, refresh] = useQuery({ query: WalletQuery, variables: {}, requestPolicy: 'cache-and-network' });
  const [amount, setAmount] = useState('');
  const [message, setMessage] = useState<{ tone: 'success' | 'error'; text: string } | null>(null);
  const [, authorize] = useMutation(AuthorizeVaultMutation);
  const [, faucet] = useMutation(ChainFaucetMutation);
  const [, revoke] = useMutation(RevokeVaultMutation);
  const valid = USDT_AMOUNT.test(amount.trim()) && Number(amount) > 0;

  const done = (outcome: { __typename: string; code?: string; message?: string } | undefined, ok: string) => {
    if (!outcome) setMessage({ tone: 'error', text: 'No answer from the server.' });
    else if ('code' in outcome && outcome.code) setMessage({ tone: 'error', text: outcome.message ?? outcome.code });
    else setMessage({ tone: 'success', text: ok });
    refresh({ requestPolicy: 'network-only' });
  };

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!valid) return;
    const response = await authorize({ amount: amount.trim() });
    done(response.data?.authorizeVault, `Authorised ${amount.trim()} USDT to the vault.`);
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
            onClick={async () => done((await faucet({ amount: amount.trim() })).data?.chainFaucet, `Minted ${amount.trim()} test USDT to your wallet.`)}
          >
            Faucet to wallet
          </button>
        ) : null}
        <button
          type="button"
          className="button-secondary"
          onClick={async () => done((await revoke({})).data?.revokeVault, 'Everything withdrawn; approval revoked.')}
        >
          Revoke
        </button>
      </form>
      <p className="muted">
        Orders that need more collateral than your balance pull exactly the shortfall from your wallet, within what you
        authorised.
      </p>
      {message ? <p className={message.tone === 'error' ? 'negative' : 'positive'} role="status">{message.text}</p> : null}
    </section>
  );
}
