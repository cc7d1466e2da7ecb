import { useState } from 'react';
import { useSession } from '../auth/AuthProvider';
import { BalanceCard } from '../components/BalanceCard';
import { SignedOutNotice } from '../components/auth/SignedOutNotice';
import { PageHeading } from '../components/PageHeading';
import { MarketDetail } from '../components/markets/MarketDetail';
import { MarketsTable } from '../components/markets/MarketsTable';
import { ReferenceBookCard } from '../components/markets/ReferenceBookCard';
import { marketDecimals } from '../components/markets/format';
import { usePolledQuery } from '../components/markets/hooks';
import { OpenOrdersCard } from '../components/trading/OpenOrdersCard';
import { OrderTicket } from '../components/trading/OrderTicket';
import { PositionsCard } from '../components/trading/PositionsCard';
import { TradesTape } from '../components/trading/TradesTape';
import { useMyOrders, useMyPositions } from '../components/trading/hooks';
import { MarketsQuery } from '../graphql/operations';

const DEFAULT_MARKET = 'BTC-USDT-PERP';
const MARKETS_REFRESH_MS = 1_000;
const NO_VARIABLES = () => ({});
const DESCRIPTION =
  'Dark-pool perpetual futures: hidden orders priced against the oracle index and the lit reference market.';

export function TradePage() {
  const [selected, setSelected] = useState(DEFAULT_MARKET);
  const { data, error } = usePolledQuery(MarketsQuery, NO_VARIABLES, MARKETS_REFRESH_MS, 'markets');
  const markets = data?.markets;
  const market = markets?.find((candidate) => candidate.symbol === selected);
  const signedIn = useSession() !== null;
  const positions = useMyPositions();
  const orders = useMyOrders();

  return (
    <>
      <PageHeading
        title="Trade"
        description={DESCRIPTION}
      />
      <div className="trade-grid">
        <div className="trade-column">
          <MarketsTable
            markets={markets}
            error={error}
            selected={selected}
            onSelect={setSelected}
          />
          {signedIn ? (
            <>
              <PositionsCard positions={positions.data} error={positions.error} markets={markets} />
              <OpenOrdersCard orders={orders.data} error={orders.error} markets={markets} />
              <BalanceCard />
            </>
          ) : (
            <SignedOutNotice title="Positions, orders and balance" testId="private-panels-signed-out" />
          )}
        </div>
        <div className="trade-column">
          <MarketDetail symbol={selected} market={market} />
          {signedIn ? (
            <OrderTicket symbol={selected} market={market} positions={positions.data} />
          ) : (
            <SignedOutNotice title={`Order ticket · ${selected}`} testId="ticket-signed-out" />
          )}
          <TradesTape
            symbol={selected}
            decimals={marketDecimals(market)}
            baseAsset={market?.baseAsset ?? selected.split('-')[0] ?? selected}
          />
          <ReferenceBookCard symbol={selected} decimals={marketDecimals(market)} />
        </div>
      </div>
    </>
  );
}
