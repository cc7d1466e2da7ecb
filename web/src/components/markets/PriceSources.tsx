import type { PriceSource } from '../../graphql/operations';
import { formatPercent, formatPrice } from './format';
import { sourceStatus } from './status';

/** The venues behind the index: price, distance from the median and whether each one counts. */
interface Props {
  sources: PriceSource[] | undefined;
  decimals: number;
}

export function PriceSources({ sources, decimals }: Props) {
  return (
    <div className="detail-block">
      <h3 id="price-sources-title">Price sources</h3>
      {sources === undefined ? (
        <p className="muted">Loading sources…</p>
      ) : sources.length === 0 ? (
        <p className="muted">No price sources for this market.</p>
      ) : (
        <table className="data-table compact" aria-labelledby="price-sources-title">
          <thead>
            <tr>
              <th scope="col">Source</th>
              <th scope="col" className="num">Price</th>
              <th scope="col" className="num">
                <span className="has-tip" title="Distance from the median of the fresh sources">
                  Deviation
                </span>
              </th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {sources.map((source) => {
              const status = sourceStatus(source);
              return (
                <tr key={source.name}>
                  <th scope="row">{source.name}</th>
                  <td className="num">{formatPrice(source.price, decimals)}</td>
                  <td className="num">{formatPercent(source.deviation)}</td>
                  <td>
                    <span
                      className={`status status-${status.tone}`}
                      title={status.detail}
                      data-testid={`source-${source.name}-status`}
                    >
                      <span className="status-dot" aria-hidden="true" />
                      {status.label}
                    </span>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </div>
  );
}
