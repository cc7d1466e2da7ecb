import { useEffect, useId, useState } from 'react';
import { useQuery } from 'urql';
import { useSession } from '../../auth/AuthProvider';
import { ProofVerifier } from './ProofVerifier';
import { BatchTradesQuery, MyFillsQuery, SettlementQuery } from './operations';

const REFRESH_MS = 2000;

function useTicker(ms: number): number {
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const timer = window.setInterval(() => setTick((value) => value + 1), ms);
    return () => window.clearInterval(timer);
  }, [ms]);
  return tick;
}

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
  const tick = useTicker(REFRESH_MS);
  const [{ data, error }, refresh] = useQuery({ query: SettlementQuery, variables: { limit: 15 } });
  const [open, setOpen] = useState<string | null>(null);
  useEffect(() => {
    if (tick > 0) refresh({ requestPolicy: 'network-only' });
  }, [tick, refresh]);
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
          <tr><th>Batch</th><th>Status</th><th>Trades</th><th>Root</th><th>Transaction</th><th /></tr>
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
