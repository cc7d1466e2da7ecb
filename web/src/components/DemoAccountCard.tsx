import { useEffect, useState } from 'react';
import { useQuery } from 'urql';
import { DemoAccountQuery, type DemoAccount } from '../graphql/operations';
import { ErrorMessage } from './ErrorMessage';
import { useTradingActivity } from './trading/hooks';

const REFRESH_MS = 5_000;

/** Demo-mode balances, refetched from the network every 5 s. Hidden when the server is not in demo mode. */
export function DemoAccountCard() {
  const [result, refetch] = useQuery({ query: DemoAccountQuery, requestPolicy: 'network-only' });

  useEffect(() => {
    const timer = setInterval(() => refetch({ requestPolicy: 'network-only' }), REFRESH_MS);
    return () => clearInterval(timer);
  }, [refetch]);
  // Balances move with every order, close and margin change made here.
  useTradingActivity(() => refetch({ requestPolicy: 'network-only' }));

  // Keep showing the last good balances through a transient failed refresh.
  const [lastAccount, setLastAccount] = useState<DemoAccount | null | undefined>(undefined);
  const fresh = result.data?.demoAccount;
  useEffect(() => {
    if (fresh !== undefined) setLastAccount(fresh);
  }, [fresh]);
  const account = fresh !== undefined ? fresh : lastAccount;

  if (account === null) return null; // server is not in demo mode

  return (
    <section className="card" aria-labelledby="demo-account-title">
      <div className="card-header">
        <h2 id="demo-account-title">Demo account</h2>
        {account ? <span className="muted">{account.displayName}</span> : null}
      </div>
      {result.error ? <ErrorMessage error={result.error} context="Balances" /> : null}
      {account === undefined ? (
        result.error ? null : <p className="muted">Loading balances…</p>
      ) : account.balances.length === 0 ? (
        <p className="muted">No balances.</p>
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
            {account.balances.map((balance) => (
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
    </section>
  );
}
