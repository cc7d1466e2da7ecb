import { useState, type CSSProperties } from 'react';
import { ReferenceBookSubscription, type BookLevel, type ReferenceBook } from '../../graphql/operations';
import { ErrorMessage } from '../ErrorMessage';
import { ScrollRegion } from '../ScrollRegion';
import { ServerTime } from '../ServerTime';
import { formatPrice, formatSize } from './format';
import { useSubscriptionEvents } from '../trading/hooks';

const DEPTH = 10;

/** Width of a level's depth bar relative to the largest level shown (display only). */
function depthStyle(level: BookLevel | undefined, largest: number): CSSProperties {
  const share = level && largest > 0 ? Math.min(100, (Number(level.size) / largest) * 100) : 0;
  return { '--depth': `${Number.isFinite(share) ? share.toFixed(1) : 0}%` } as CSSProperties;
}

/** Top of the lit reference market for one symbol: pricing context, never our own dark orders. */
export function ReferenceBookCard({ symbol, decimals }: { symbol: string; decimals: number }) {
  // Issue #8: the `referenceBook` subscription sends the book at once, then at most twice
  // a second while it changes; the server shares one stream per symbol among all viewers.
  const [latest, setLatest] = useState<ReferenceBook | null>(null);
  const error = useSubscriptionEvents(
    ReferenceBookSubscription,
    { symbol, depth: DEPTH },
    `book|${symbol}`,
    (data) => setLatest(data.referenceBook),
  );
  const book = latest !== null && latest.symbol === symbol ? latest : undefined;
  const rows = book ? Math.max(book.bids.length, book.asks.length) : 0;
  const sizes = book ? [...book.bids, ...book.asks].map((level) => Number(level.size)) : [];
  const largest = Math.max(0, ...sizes.filter(Number.isFinite));

  return (
    <section className="card" aria-labelledby="reference-book-title" data-testid="reference-book">
      <div className="card-header">
        <h2 id="reference-book-title">Reference market (lit venues) — our own orders stay dark</h2>
      </div>
      {error ? <ErrorMessage error={error} context="Reference market" /> : null}
      {book === undefined ? (
        error ? null : <p className="muted">Loading reference market…</p>
      ) : rows === 0 ? (
        <p className="muted">The reference market has no quotes for {symbol}.</p>
      ) : (
        <>
          <ScrollRegion label="Reference market quotes">
            <table className="data-table compact book" aria-labelledby="reference-book-title">
              <thead>
                <tr>
                  <th scope="col" className="num">Bid size</th>
                  <th scope="col" className="num">Bid</th>
                  <th scope="col" className="num">Ask</th>
                  <th scope="col" className="num">Ask size</th>
                </tr>
              </thead>
              <tbody>
                {Array.from({ length: rows }, (_, i) => {
                  const bid = book.bids[i];
                  const ask = book.asks[i];
                  return (
                    <tr key={i}>
                      <td className="num">{bid ? formatSize(bid.size) : ''}</td>
                      <td className="num book-bid" style={depthStyle(bid, largest)}>
                        {bid ? formatPrice(bid.price, decimals) : ''}
                      </td>
                      <td className="num book-ask" style={depthStyle(ask, largest)}>
                        {ask ? formatPrice(ask.price, decimals) : ''}
                      </td>
                      <td className="num">{ask ? formatSize(ask.size) : ''}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </ScrollRegion>
          <p className="muted small book-footer">
            {book.sources.length > 0 ? `Consolidated from ${book.sources.join(', ')}.` : null}
            {book.updatedAt ? (
              <>
                {' '}Updated <ServerTime iso={book.updatedAt} />.
              </>
            ) : null}
          </p>
        </>
      )}
    </section>
  );
}
