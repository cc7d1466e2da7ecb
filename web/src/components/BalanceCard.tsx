import { useId, useState, type FormEvent } from 'react';
import { useMutation } from 'urql';
import { useSession } from '../auth/AuthProvider';
import { describeError } from '../graphql/errors';
import { FaucetMutation, WithdrawMutation, type TransferResult } from '../graphql/operations';
import { useIsDemoServer } from '../graphql/useServerInfo';
import { newIdempotencyKey } from './auth/fields';
import { ErrorMessage } from './ErrorMessage';
import { ResultMessage } from './trading/ResultMessage';
import { notifyTradingActivity, useBalances } from './trading/hooks';
import type { ActionResult } from './trading/results';

const USDT_AMOUNT = /^\d+(\.\d{1,6})?$/;
/** Seed 004 demo faucet: at most 10,000 test USDT a day. */
const FAUCET_DAILY_LIMIT = '10,000';

type Transfer = 'faucet' | 'withdraw';

/** The signed-in account's balances, with the demo faucet and withdrawals. */
export function BalanceCard() {
  const id = useId();
  const session = useSession();
  const demoServer = useIsDemoServer();
  const { data: balances, error } = useBalances();
  const [amount, setAmount] = useState('');
  const [result, setResult] = useState<ActionResult | null>(null);
  const [busy, setBusy] = useState<Transfer | null>(null);
  // One key per attempted transfer: a retried click after a lost answer moves money once.
  const [pendingKey, setPendingKey] = useState<{ kind: Transfer; amount: string; key: string } | null>(null);
  const [, faucet] = useMutation(FaucetMutation);
  const [, withdraw] = useMutation(WithdrawMutation);

  const valid = USDT_AMOUNT.test(amount.trim()) && Number(amount) > 0;

  const transfer = async (kind: Transfer) => {
    if (!valid) {
      setResult({ tone: 'error', text: 'Enter an amount in USDT, such as 100 or 12.5.' });
      return;
    }
    const value = amount.trim();
    const key =
      pendingKey && pendingKey.kind === kind && pendingKey.amount === value
        ? pendingKey.key
        : newIdempotencyKey(kind);
    setPendingKey({ kind, amount: value, key });
    setBusy(kind);
    setResult(null);
    const input = { amount: value, idempotencyKey: key };
    const response = kind === 'faucet' ? await faucet({ input }) : await withdraw({ input });
    setBusy(null);
    const outcome: TransferResult | undefined =
      response.data && ('faucet' in response.data ? response.data.faucet : response.data.withdraw);
    if (!outcome) {
      setResult({ tone: 'error', text: response.error ? describeError(response.error) : 'No answer from the server.' });
      return;
    }
    setPendingKey(null);
    notifyTradingActivity();
    if ('entryId' in outcome) {
      setAmount('');
      setResult({
        tone: 'success',
        text: kind === 'faucet' ? `Added ${value} test USDT.` : `Withdrew ${value} USDT.`,
      });
    } else {
      setResult({ tone: 'error', text: outcome.message, code: outcome.code });
    }
  };

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    void transfer(demoServer ? 'faucet' : 'withdraw');
  };

  return (
    <section className="card" aria-labelledby={`${id}-title`} data-testid="balance-card">
      <div className="card-header">
        <h2 id={`${id}-title`}>Balance</h2>
        {session ? <span className="muted">{session.demo ? 'Demo account' : session.email}</span> : null}
      </div>
      {error ? <ErrorMessage error={error} context="Balances" /> : null}
      {balances === undefined ? (
        error ? null : <p className="muted">Loading balances…</p>
      ) : balances.length === 0 ? (
        <p className="muted">No balances yet.</p>
      ) : (
        <table className="balances">
          <thead>
            <tr>
              <th scope="col">Asset</th>
              <th scope="col" className="num">Available</th>
              <th scope="col" className="num">Locked</th>
              <th scope="col" className="num">Total</th>
            </tr>
          </thead>
          <tbody>
            {balances.map((balance) => (
              <tr key={balance.asset}>
                <th scope="row">{balance.asset}</th>
                <td className="num" data-testid={`balance-${balance.asset}-available`}>
                  {balance.available}
                </td>
                <td className="num" data-testid={`balance-${balance.asset}-locked`}>
                  {balance.locked}
                </td>
                <td className="num" data-testid={`balance-${balance.asset}-total`}>
                  {balance.total}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form className="inline-form transfer-form" onSubmit={submit} noValidate>
        <label htmlFor={`${id}-amount`}>Amount (USDT)</label>
        <input
          id={`${id}-amount`}
          type="text"
          inputMode="decimal"
          autoComplete="off"
          value={amount}
          onChange={(event) => setAmount(event.target.value)}
          aria-describedby={`${id}-hint`}
        />
        {demoServer ? (
          <button type="button" className="btn btn-small" disabled={busy !== null} onClick={() => void transfer('faucet')}>
            {busy === 'faucet' ? 'Adding…' : 'Get test USDT'}
          </button>
        ) : null}
        <button
          type="button"
          className="btn btn-small btn-ghost"
          disabled={busy !== null}
          onClick={() => void transfer('withdraw')}
        >
          {busy === 'withdraw' ? 'Withdrawing…' : 'Withdraw'}
        </button>
      </form>
      <p id={`${id}-hint`} className="field-hint">
        {demoServer
          ? `Demo faucet: up to ${FAUCET_DAILY_LIMIT} test USDT a day. Withdrawals follow your KYC tier's daily limit.`
          : "Withdrawals follow your KYC tier's daily limit."}
      </p>
      <ResultMessage result={result} testId="balance-result" className="card-result" />
    </section>
  );
}
