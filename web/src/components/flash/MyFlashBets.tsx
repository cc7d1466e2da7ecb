import { useId } from 'react';
import { ErrorMessage } from '../ErrorMessage';
import { formatFixed } from '../trading/decimal';
import { useMyFlashBets } from './flashHooks';
import { betStatusLabel, flashOutcomeLabel } from './flashFormat';

/** Your flash bets and their results: won, lost or void, and what each paid. */
export function MyFlashBets() {
  const id = useId();
  const { bets, error } = useMyFlashBets();
  return (
    <section className="card flash-my-bets" aria-labelledby={`${id}-title`} data-testid="flash-my-bets">
      <div className="card-header">
        <h2 id={`${id}-title`}>My bets</h2>
        <span className="muted small">open, and settled in the last 15 minutes</span>
      </div>
      {error ? <ErrorMessage error={error} context="My bets" /> : null}
      {bets === undefined ? (
        <p className="muted">Loading…</p>
      ) : bets.length === 0 ? (
        <p className="muted" data-testid="flash-no-bets">
          No bets yet. Pick a market on the ticker.
        </p>
      ) : (
        <div className="table-scroll">
          <table className="data-table">
            <thead>
              <tr>
                <th scope="col">Market</th>
                <th scope="col">Outcome</th>
                <th scope="col" className="num">
                  Stake
                </th>
                <th scope="col" className="num">
                  Pays if won
                </th>
                <th scope="col">Result</th>
                <th scope="col" className="num">
                  Paid
                </th>
              </tr>
            </thead>
            <tbody>
              {bets.map((bet) => (
                <tr key={bet.id} data-testid={`flash-bet-row-${bet.id}`} className="flash-bet-row">
                  <td>{bet.marketTitle ?? bet.marketId}</td>
                  <td>{flashOutcomeLabel(bet.outcome)}</td>
                  <td className="num">{formatFixed(bet.stake, 2)}</td>
                  <td className="num">{formatFixed(bet.potentialPayout, 2)}</td>
                  <td>
                    <span className={`flash-result flash-result-${bet.status.toLowerCase()}`} data-testid={`flash-bet-status-${bet.id}`}>
                      {betStatusLabel(bet.status)}
                    </span>
                  </td>
                  <td className="num">{bet.status === 'OPEN' ? '—' : formatFixed(bet.payout, 2)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
