import { useState } from 'react';
import { useClient } from 'urql';
import { TradeProofQuery, type TradeProof } from './operations';
import { verifyInclusion } from './merkle';

type State =
  | { kind: 'idle' }
  | { kind: 'busy' }
  | { kind: 'waiting'; text: string }
  | { kind: 'done'; proof: TradeProof; verified: boolean };

/** Fetches a trade's proof and checks it here, in the browser (Web Crypto SHA-256). */
export function ProofVerifier({ tradeId }: { tradeId: string }) {
  const client = useClient();
  const [state, setState] = useState<State>({ kind: 'idle' });

  const verify = async () => {
    setState({ kind: 'busy' });
    const result = await client.query(TradeProofQuery, { tradeId }, { requestPolicy: 'network-only' }).toPromise();
    const proof = result.data?.tradeProof;
    if (!proof) {
      setState({ kind: 'waiting', text: 'Not batched yet: its one-second window is still open. Try again.' });
      return;
    }
    setState({ kind: 'done', proof, verified: await verifyInclusion(proof) });
  };

  return (
    <span className="proof-verifier" data-testid={`proof-${tradeId}`}>
      <button type="button" className="button-secondary" onClick={() => void verify()} disabled={state.kind === 'busy'}>
        Verify
      </button>{' '}
      {state.kind === 'waiting' ? <span className="muted">{state.text}</span> : null}
      {state.kind === 'done' ? (
        <span>
          <strong data-testid="proof-result" className={state.verified ? 'positive' : 'negative'}>
            {state.verified ? 'verified' : 'NOT verified'}
          </strong>{' '}
          <span className="muted">
            leaf {state.proof.leafIndex + 1} of {state.proof.treeSize} in {state.proof.batchId} ({state.proof.status}),
            root {state.proof.merkleRoot.slice(0, 16)}…
            {state.proof.txSignature ? ` tx ${state.proof.txSignature.slice(0, 12)}…` : ''}
          </span>
        </span>
      ) : null}
    </span>
  );
}
