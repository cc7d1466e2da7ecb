import { useId, useState } from 'react';
import { useQuery } from 'urql';
import { useSession } from '../../auth/AuthProvider';
import { SAFETY_NET_MS, usePolledQuery } from '../markets/hooks';
import { useSubscriptionEvents } from '../trading/hooks';
import { ProofVerifier } from './ProofVerifier';
import { BatchTradesQuery, MyFillsQuery, SettlementQuery, SettlementsSubscription } from './operations';

const SETTLEMENT_VARIABLES = () => ({ limit: 15 });
const NO_VARIABLES = {};
/** Batches close every second while trading goes on: refetch at most this often. */
const SETTLEMENT_REFRESH_GAP_MS = 3_000;

function BatchTrades({ id }: { id: string }) {
  const [{ data }] = useQuery({ query: BatchTradesQuery, variables: { id } });
  const tradeIds = data?.batch?.tradeIds ?? [];
  return (
    <ul className="plain-list">
      {tradeIds.map((tradeId) => (
        <li key={tradeId}>
          <code>{tradeId}</code> <ProofVerifier tradeId={tradeId} />
        </li>
      ))}
    </ul>
  );
}

function MyFills() {
  const [{ data }] = useQuery({ query: MyFillsQuery, variables: { limit: 10 }, requestPolicy: 'cache-and-network' });
  const fills = data?.myTrades ?? [];
  if (fills.length === 0) return <p className="muted">Your trades appear here with their settlement proofs.</p>;
  return (
    <table className="table" data-testid="my-settled-fills">
      <thead>
        <tr><th>Trade</th><th>Market</th><th>Side</th><th>Size</th><th>Proof</th></tr>
      </thead>
      <tbody>
        {fills.map((fill) => (
          <tr key={`${fill.tradeId}-${fill.side}`}>
            <td><code>{fill.tradeId}</code></td>
            <td>{fill.symbol}</td>
            <td>{fill.side}</td>
            <td>{fill.size}</td>
            <td><ProofVerifier tradeId={fill.tradeId} /></td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Settlement on Solana: lag, batches and their status, and proofs verified in the browser. */
export function SettlementSection() {
  const id = useId();
  const session = useSession();
  // Public data (anonymous, off the account's quota), refetched when a batch changes
  // status (`settlements` subscription), at most every 3 s, and every 30 s as a safety net.
  const { data, error, refresh } = usePolledQuery(SettlementQuery, SETTLEMENT_VARIABLES, SAFETY_NET_MS, 'settlement', {
    minRefreshGapMs: SETTLEMENT_REFRESH_GAP_MS,
  });
  useSubscriptionEvents(SettlementsSubscription, NO_VARIABLES, 'settlements', refresh);
  const [open, setOpen] = useState<string | null>(null);
  const status = data?.settlementStatus;

  return (
    <section className="card" aria-labelledby={`${id}-title`} data-testid="settlement-section">
      <div className="card-header">
        <h2 id={`${id}-title`}>Settlement</h2>
        <span className="muted">One-second batches, Merkle roots in Solana memos</span>
      </div>
      {error ? <p className="negative">Settlement data is unavailable.</p> : null}
      {status ? (
        <p data-testid="settlement-status">
          Lag {status.lagSeconds.toFixed(1)} s · confirmed {status.confirmed} · pending {status.pending + status.matched} ·
          failed {status.failed} · chain {status.chain}
          {status.withdrawalsHalted ? <strong className="negative"> · withdrawals halted (reconciliation)</strong> : null}
        </p>
      ) : null}
      {session ? (
        <>
          <h3>Your trades</h3>
          <MyFills />
        </>
      ) : null}
      <h3>Batches</h3>
      <table className="table" data-testid="settlement-batches">
        <thead>
          <tr><th>Batch</th><th>Status</th><th>Trades</th><th>Root</th><th>Transaction</th><th><span className="visually-hidden">Trades in the batch</span></th></tr>
        </thead>
        <tbody>
          {(data?.settlementBatches ?? []).map((batch) => (
            <tr key={batch.id}>
              <td><code>{batch.id}</code></td>
              <td>{batch.status}</td>
              <td>{batch.tradeCount}</td>
              <td><code title={batch.merkleRoot}>{batch.merkleRoot.slice(0, 12)}…</code></td>
              <td>{batch.txSignature ? <code title={batch.txSignature}>{batch.txSignature.slice(0, 12)}…</code> : '—'}</td>
              <td>
                <button type="button" className="button-secondary" onClick={() => setOpen(open === batch.id ? null : batch.id)}>
                  {open === batch.id ? 'Hide' : 'Trades'}
                </button>
                {open === batch.id ? <BatchTrades id={batch.id} /> : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
